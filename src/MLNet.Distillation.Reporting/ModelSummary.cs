namespace MLNet.Distillation.Reporting;

/// <summary>What a <see cref="DistillationReport"/> measured for one model (the teacher or the student) on the test data.</summary>
public sealed record ModelSummary
{
    /// <summary>"Teacher" or "Student".</summary>
    public required string Role { get; init; }

    /// <summary>What the model is: the teacher's file name, the student's architecture and loss.</summary>
    public required string Description { get; init; }

    /// <summary>Fraction of labelled test rows whose top class is the label; null without labelled rows.</summary>
    public double? Accuracy { get; init; }

    /// <summary>Unweighted mean over classes of the per-class F1 score (classes that occur as label or prediction); null without labelled rows.</summary>
    public double? MacroF1 { get; init; }

    /// <summary>Mean −ln p(label) over labelled rows (p clamped at 1e-15, as ML.NET's evaluator does); null without labelled rows.</summary>
    public double? LogLoss { get; init; }

    /// <summary>Expected calibration error over <see cref="Reliability"/>: Σ (bin rows / rows)·|bin accuracy − bin mean confidence|; null without labelled rows.</summary>
    public double? ExpectedCalibrationError { get; init; }

    /// <summary>The reliability diagram: equal-width confidence bins with their mean confidence and accuracy.</summary>
    public IReadOnlyList<ReliabilityBin> Reliability { get; init; } = [];

    /// <summary>Values stored in the model's ONNX initializers (weights, biases and constants such as standardisation statistics).</summary>
    public long ParameterCount { get; init; }

    /// <summary>Size in bytes of the model's ONNX file (the student's as written by <c>ExportToOnnx</c>).</summary>
    public long FileBytes { get; init; }

    /// <summary>Timings, one per runtime measured (empty when latency was not measured).</summary>
    public IReadOnlyList<LatencyStats> Latency { get; init; } = [];
}
