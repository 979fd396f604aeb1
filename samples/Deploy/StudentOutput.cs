namespace MLNet.Distillation.Deploy;

/// <summary>Output row of a student model.</summary>
public sealed class StudentOutput
{
    /// <summary>Class probabilities in key order.</summary>
    public float[] Score { get; set; } = [];

    /// <summary>One-based key of the predicted class; 0 (the missing key) when a feature is NaN or ±∞.</summary>
    public uint PredictedLabel { get; set; }
}
