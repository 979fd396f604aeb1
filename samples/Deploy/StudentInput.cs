namespace MLNet.Distillation.Deploy;

/// <summary>Input row of a student model: the features and, for pipelines that convert a label, an (empty) label.</summary>
public sealed class StudentInput
{
    /// <summary>Raw feature values.</summary>
    public float[] Features { get; set; } = [];

    /// <summary>The label column's text; empty at prediction time.</summary>
    public string Label { get; set; } = "";
}
