using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Export;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Students;

/// <summary>
/// A trained student. Scores like ML.NET's own models of its task (<see cref="Task"/>) — multiclass: <c>Score</c> (class
/// probabilities) and <c>PredictedLabel</c> (same key type and key values as the training label); binary: <c>Score</c>
/// (logit), <c>Probability</c> and <c>PredictedLabel</c> (Boolean); regression: <c>Score</c> (a vector for several
/// outputs); ranking: <c>Score</c> — through a chain of stock ML.NET transformers around the student's ONNX graph. <c>mlContext.Model.Save</c> writes that chain, so a saved student
/// loads with plain <c>mlContext.Model.Load</c> in any app that has ML.NET and ONNX Runtime (no TorchSharp, no teacher).
/// Dispose it (or the pipeline's <c>TransformerChain</c>, which disposes its parts) to free the ONNX Runtime session and
/// delete the temporary copy of the graph that ML.NET keeps in <c>MLContext.TempFilePath</c>; what is left undisposed is
/// disposed when the process exits.
/// </summary>
public sealed class StudentTransformer : ITransformer, IDisposable
{
    private readonly ITransformer _scorer;

    internal StudentTransformer(ITransformer scorer, StudentNetwork network, IReadOnlyList<string> classNames,
        string featureColumnName, IReadOnlyList<EpochProgress> history, string lossName, TimeSpan trainingTime)
    {
        _scorer = scorer;
        Network = network;
        ClassNames = classNames;
        FeatureColumnName = featureColumnName;
        History = history;
        LossName = lossName;
        TrainingTime = trainingTime;
    }

    /// <summary>The task the student was trained for.</summary>
    public Losses.DistillationTask Task => Network.Task;

    /// <summary>The trained weights (framework-independent).</summary>
    public StudentNetwork Network { get; }

    /// <summary>Class names in key order (the label's key values); binary: "False", "True"; empty for regression and ranking.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The feature column the student reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>Per-epoch loss terms and metrics.</summary>
    public IReadOnlyList<EpochProgress> History { get; }

    /// <summary>Name of the loss it was trained with.</summary>
    public string LossName { get; }

    /// <summary>Wall time of <c>Fit</c>, including reading the data (and so the teacher pass).</summary>
    public TimeSpan TrainingTime { get; }

    /// <summary>The search that chose this student, when it came from AutoDistill; null otherwise.</summary>
    public Search.AutoDistillResult? AutoDistill { get; internal set; }

    /// <summary>Number of trainable parameters.</summary>
    public long ParameterCount => Network.ParameterCount;

    /// <summary>Size in bytes of the student's ONNX graph as exported by <see cref="ExportToOnnx(string)"/>.</summary>
    public long OnnxSizeBytes => StudentOnnxExporter.ToOnnx(Network, StudentOnnxExporter.InputName, ClassNames).LongLength;

    /// <summary>
    /// Writes the student as a standalone ONNX model (atomically): input <c>features</c> float [batch, F] (a text student:
    /// int64 token ids [batch, MaxTokens], 0 = padding; see docs/students.md); outputs by task
    /// (<see cref="StudentOnnxExporter"/>) — multiclass: <c>probabilities</c> [batch, K], <c>logits</c> [batch, K] and
    /// <c>predicted_class</c> int64 [batch], class names in the model metadata (<c>class_names</c>); binary: <c>logit</c>,
    /// <c>probability</c> [batch, 1] and <c>predicted_label</c> int64 [batch]; regression: <c>score</c> [batch, k]; ranking:
    /// <c>score</c> [batch, 1].
    /// </summary>
    /// <param name="path">Destination .onnx file.</param>
    public void ExportToOnnx(string path) => StudentOnnxExporter.Save(Network, path, StudentOnnxExporter.InputName, ClassNames);

    /// <inheritdoc />
    public bool IsRowToRowMapper => _scorer.IsRowToRowMapper;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _scorer.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _scorer.GetRowToRowMapper(inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => _scorer.Transform(input);

    /// <summary>Saves the stock ML.NET scoring chain (ONNX graph inside), which <c>mlContext.Model.Load</c> reads without this library.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => _scorer.Save(ctx);

    /// <summary>
    /// Frees the ONNX Runtime session of the scoring chain and deletes ML.NET's temporary copy of the student graph. A student
    /// that is never disposed is disposed when the process exits.
    /// </summary>
    public void Dispose() => (_scorer as IDisposable)?.Dispose();
}
