using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Cross-entropy on the hard labels, optionally with label smoothing (Szegedy et al. 2016): the target is
/// <c>(1−ε)·onehot(y) + ε/K</c>. Averaged over labelled rows; unlabelled rows contribute nothing. Term: <c>ce</c>.
/// </summary>
public sealed class CrossEntropyLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="labelSmoothing">Smoothing ε ∈ [0, 1) (default 0).</param>
    public CrossEntropyLoss(double labelSmoothing = 0.0)
    {
        if (labelSmoothing is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must lie in [0, 1).");
        LabelSmoothing = labelSmoothing;
    }

    /// <summary>Smoothing ε.</summary>
    public double LabelSmoothing { get; }

    /// <inheritdoc />
    public override string Name => LabelSmoothing == 0 ? "ce" : $"ce(ls={LabelSmoothing:G3})";

    /// <inheritdoc />
    public override bool RequiresTeacher => false;

    /// <inheritdoc />
    public override bool SupportsRowWeights => true;

    /// <inheritdoc />
    public override LossTerms Compute(LossContext c)
    {
        var ce = nn.functional.cross_entropy(c.StudentLogits, c.Labels.clamp_min(0), reduction: nn.Reduction.None, label_smoothing: LabelSmoothing);
        if (c.RowWeights is null) return new LossTerms().Add("ce", MaskedMean(ce, c.LabelMask));
        var m = c.LabelMask.to_type(ce.dtype);
        return new LossTerms().Add("ce", (ce * m * c.RowWeightsOr1(ce)).sum() / m.sum().clamp_min(1.0));
    }
}
