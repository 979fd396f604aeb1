using Microsoft.ML.OnnxRuntime;
using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// A teacher called from inside training on rows that exist only in memory (synthetic transfer rows): one float input
/// fed with the student's feature vectors (reshaped to the input's shape), one float output, one ONNX Runtime call per batch.
/// </summary>
internal sealed class OnlineTeacher : IDisposable
{
    private readonly TeacherModel _model;
    private readonly string _input;
    private readonly string _output;
    private readonly long[] _rowShape;

    public OnlineTeacher(string modelPath, string? outputName, int featureCount, int classCount, int? threads)
    {
        _model = TeacherModel.Load(modelPath, intraOpNumThreads: threads);
        try
        {
            var floatInputs = _model.Inputs.Where(i => i.ElementType == typeof(float)).ToArray();
            if (_model.Inputs.Count != 1 || floatInputs.Length != 1)
                throw new ArgumentException($"Transfer-set teacher '{modelPath}' must have exactly one float32 input fed by the student's features; it has {string.Join(", ", _model.Inputs.Select(i => $"'{i.Name}' {i.ElementType.Name} {i.ShapeText}"))}.");
            var input = floatInputs[0];
            _input = input.Name;
            var dims = input.Dimensions.Skip(1).ToArray();
            int unknown = dims.Count(d => d <= 0);
            long known = dims.Where(d => d > 0).Aggregate(1L, (a, b) => a * b);
            if (unknown > 1 || (unknown == 1 && featureCount % known != 0) || (unknown == 0 && known != featureCount))
                throw new ArgumentException($"Transfer-set teacher '{modelPath}' input '{input.Name}' {input.ShapeText} cannot take the student's {featureCount} features per row.");
            _rowShape = dims.Select(d => d > 0 ? d : featureCount / known).ToArray();
            var output = outputName is null ? _model.Outputs[0] : _model.Outputs.FirstOrDefault(o => o.Name == outputName)
                ?? throw new ArgumentException($"Transfer-set teacher '{modelPath}' has no output '{outputName}'. Its outputs: {string.Join(", ", _model.Outputs.Select(o => o.Name))}.");
            long size = output.Dimensions.Skip(1).Aggregate(1L, (a, b) => a * b);
            if (output.ElementType != typeof(float) || size != classCount)
                throw new ArgumentException($"Transfer-set teacher '{modelPath}' output '{output.Name}' {output.ShapeText} must hold {classCount} float32 values per row, one per class.");
            _output = output.Name;
            Kind = OnnxGraphInspector.KindOf(_model.ModelPath, _output);
        }
        catch
        {
            _model.Dispose();
            throw;
        }
    }

    /// <summary>Logits or probabilities.</summary>
    public TeacherOutputKind Kind { get; }

    /// <summary>Scores <paramref name="rows"/> rows of features (row-major) and returns rows × K outputs.</summary>
    public float[] Score(float[] features, int rows, int classCount)
    {
        var result = new float[rows * classCount];
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, features.AsMemory(0, features.Length), [rows, .. _rowShape]);
        using var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, result.AsMemory(), [rows, classCount]);
        _model.Session.Run(null, [_input], [input], [_output], [output]);
        return result;
    }

    /// <summary>Converts outputs to <paramref name="target"/> kind in place (log p is a valid logit vector; softmax(z) the probabilities), so the losses see one kind per batch.</summary>
    public void ConvertTo(float[] values, int classCount, TeacherOutputKind target)
    {
        if (target == Kind) return;
        for (int r = 0; r < values.Length / classCount; r++)
        {
            var row = values.AsSpan(r * classCount, classCount);
            if (target == TeacherOutputKind.Logits)
                for (int k = 0; k < classCount; k++) row[k] = MathF.Log(MathF.Max(row[k], 1e-30f));
            else
            {
                float max = float.NegativeInfinity, sum = 0;
                foreach (var v in row) max = MathF.Max(max, v);
                for (int k = 0; k < classCount; k++) { row[k] = MathF.Exp(row[k] - max); sum += row[k]; }
                for (int k = 0; k < classCount; k++) row[k] /= sum;
            }
        }
    }

    public void Dispose() => _model.Dispose();
}
