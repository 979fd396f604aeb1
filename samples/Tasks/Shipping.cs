using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Students;

namespace MLNet.Distillation.Samples.Tasks;

/// <summary>
/// Steps 4 and 5 of every task's example: save the fitted pipeline as an ML.NET model (stock parts only: no teacher, no
/// TorchSharp needed to load), load it back in a fresh MLContext and compare its Score with the original's, then export
/// the student to ONNX and check ONNX Runtime's output against ML.NET's Score.
/// </summary>
internal static class Shipping
{
    /// <param name="onnxOutput">The exported graph's output that holds the Score (binary: "logit"; regression, ranking: "score").</param>
    public static void SaveReloadExport(MLContext ml, ITransformer model, StudentTransformer student, DataViewSchema schema, IDataView test, IDataView scored,
        string outputDir, string name, string onnxOutput)
    {
        Directory.CreateDirectory(outputDir);
        var modelPath = Path.Combine(outputDir, $"{name}-student.zip");
        ml.Model.Save(model, schema, modelPath);
        float[][] reloaded;
        using (var loaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(modelPath, out _))
            reloaded = Scores(loaded.Transform(test));
        var scores = Scores(scored);
        double reloadDiff = scores.Zip(reloaded, (a, b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max()).Max();
        Console.WriteLine($"  saved {modelPath}; reloaded scores differ by at most {reloadDiff:G3}");

        var onnxPath = Path.Combine(outputDir, $"{name}-student.onnx");
        student.ExportToOnnx(onnxPath);
        double diff = OnnxParity.MaxDifference(onnxPath, Columns.Vectors(test, "Features"), onnxOutput, scores);
        Console.WriteLine($"  exported {onnxPath} ({new FileInfo(onnxPath).Length / 1024.0:F1} KiB): ONNX Runtime's {onnxOutput} within {diff:G3} of ML.NET's Score");
    }

    /// <summary>The Score column as rows of values: one per row for a Single Score, k for a vector.</summary>
    private static float[][] Scores(IDataView data) => data.Schema["Score"].Type is VectorDataViewType
        ? Columns.Vectors(data, "Score")
        : Columns.Scalars(data, "Score").Select(s => new[] { s }).ToArray();
}
