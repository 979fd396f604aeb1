namespace MLNet.Distillation.Losses;

/// <summary>
/// The trainable map a hint loss puts between a student layer and the teacher's embedding. It is created when the loss is
/// bound to a student, optimised with the student, owned by the loss and never part of the exported student.
/// </summary>
public enum HintProjection
{
    /// <summary>No projection: the student layer must already have the teacher embedding's width (checked when the loss is bound).</summary>
    None,

    /// <summary>A linear layer with bias from the student layer's width to the teacher's (FitNets' regressor); the default.</summary>
    Linear,

    /// <summary>Linear → ReLU → linear, with a hidden width equal to the teacher's.</summary>
    Mlp,
}
