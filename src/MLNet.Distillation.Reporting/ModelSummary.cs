namespace MLNet.Distillation.Reporting;

/// <summary>
/// What a <see cref="DistillationReport"/> measured for one model (the teacher or the student) on the test data. The
/// quality numbers of the report's task are set (<see cref="DistillationReport.Task"/>); the others are null (empty for
/// <see cref="Reliability"/>).
/// </summary>
public sealed record ModelSummary
{
    /// <summary>"Teacher" or "Student".</summary>
    public required string Role { get; init; }

    /// <summary>What the model is: the teacher's file name, the student's architecture and loss.</summary>
    public required string Description { get; init; }

    /// <summary>Classification: fraction of labelled test rows whose top class is the label (binary: probability &gt; 0.5 for the positive class); null without labelled rows.</summary>
    public double? Accuracy { get; init; }

    /// <summary>Unweighted mean over classes of the per-class F1 score (classes that occur as label or prediction); null without labelled rows.</summary>
    public double? MacroF1 { get; init; }

    /// <summary>Mean −ln p(label) over labelled rows (p clamped at 1e-15, as ML.NET's evaluator does); null without labelled rows.</summary>
    public double? LogLoss { get; init; }

    /// <summary>Expected calibration error over <see cref="Reliability"/>: Σ (bin rows / rows)·|bin accuracy − bin mean confidence|; null without labelled rows.</summary>
    public double? ExpectedCalibrationError { get; init; }

    /// <summary>The reliability diagram: equal-width confidence bins with their mean confidence and accuracy.</summary>
    public IReadOnlyList<ReliabilityBin> Reliability { get; init; } = [];

    /// <summary>Binary classification: area under the ROC curve of the model's positive-class score on the labelled rows (ties count one half); null without both classes among the labels.</summary>
    public double? AreaUnderRocCurve { get; init; }

    /// <summary>Regression: root-mean-square error against the labels, the mean over the outputs of each output's RMSE (see <see cref="PerOutput"/>); null without labelled rows.</summary>
    public double? RootMeanSquaredError { get; init; }

    /// <summary>Regression: mean absolute error against the labels, the mean over the outputs; null without labelled rows.</summary>
    public double? MeanAbsoluteError { get; init; }

    /// <summary>Regression: coefficient of determination R², the mean over the outputs; null without labelled rows.</summary>
    public double? RSquared { get; init; }

    /// <summary>Regression: RMSE, MAE and R² of each output (one entry for a single output); null for the other tasks.</summary>
    public IReadOnlyList<RegressionOutputMetrics>? PerOutput { get; init; }

    /// <summary>Ranking: NDCG@1 … NDCG@10 (element k−1 is NDCG@k), each the mean over the groups with a labelled row, with the gains of <see cref="DistillationReport.RankingLabelGains"/> and a log₂ discount as in ML.NET's <c>Ranking.Evaluate</c>; null for the other tasks or without labelled rows.</summary>
    public IReadOnlyList<double>? Ndcg { get; init; }

    /// <summary>Values stored in the model's ONNX initializers (weights, biases and constants such as standardisation statistics).</summary>
    public long ParameterCount { get; init; }

    /// <summary>Size in bytes of the model's ONNX file (the student's as written by <c>ExportToOnnx</c>).</summary>
    public long FileBytes { get; init; }

    /// <summary>Timings, one per runtime measured (empty when latency was not measured).</summary>
    public IReadOnlyList<LatencyStats> Latency { get; init; } = [];
}
