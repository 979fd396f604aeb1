using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MLNet.Distillation.Samples.Tasks;

/// <summary>Runs an exported student with ONNX Runtime and compares one output with ML.NET's scores.</summary>
static class OnnxParity
{
    /// <summary>
    /// The largest absolute difference between output <paramref name="outputName"/> of <paramref name="onnxPath"/> on
    /// <paramref name="features"/> (input "features" [N,F]) and <paramref name="expected"/> (row-major, same layout).
    /// </summary>
    public static double MaxDifference(string onnxPath, float[][] features, string outputName, float[][] expected)
    {
        int n = features.Length, f = features[0].Length;
        var input = new DenseTensor<float>(features.SelectMany(r => r).ToArray(), [n, f]);
        using var session = new InferenceSession(onnxPath);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("features", input)], [outputName]);
        var output = results.First().AsEnumerable<float>().ToArray();
        var flat = expected.SelectMany(r => r).ToArray();
        if (output.Length != flat.Length)
            throw new InvalidOperationException($"ONNX output '{outputName}' of {onnxPath} has {output.Length} values for {n} rows; ML.NET gave {flat.Length}.");
        return output.Zip(flat, (a, b) => (double)Math.Abs(a - b)).Max();
    }
}
