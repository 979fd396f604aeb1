using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Distillation for a regression student with k outputs (targets and teacher standardised by the trainer): a labelled
/// row takes <c>(1−α)·d(s, y) + α·d(s, t)</c>, a row without a label <c>d(s, t)</c> alone, where d is the chosen
/// <see cref="RegressionDistance"/> averaged over the k outputs. Terms (named after the distance): <c>mse-label</c> and
/// <c>mse-teacher</c> (or <c>huber-…</c>, <c>l1-…</c>), each summed over their rows and divided by the batch size, so that
/// their sum is the batch mean of the per-row loss. Without a teacher the loss is d(s, y) on the labelled rows (term
/// <c>mse-label</c>, their mean): the same default serves scratch and distilled fits, and with α = 0 and every row
/// labelled the two are equal.
/// </summary>
public sealed class RegressionKdLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="alpha">Weight α ∈ [0, 1] of the teacher term on labelled rows (default 0: labelled rows learn from their labels).</param>
    /// <param name="distance">Element-wise distance (default <see cref="RegressionDistance.Mse"/>).</param>
    /// <param name="huberDelta">Threshold δ &gt; 0 of the Huber distance, in standardised units (default 1; unused by the others).</param>
    public RegressionKdLoss(double alpha = 0.0, RegressionDistance distance = RegressionDistance.Mse, double huberDelta = 1.0)
    {
        Alpha = Check.UnitInterval(alpha, nameof(alpha), "Alpha");
        Distance.Check(distance, huberDelta, nameof(distance), nameof(huberDelta));
        RegressionDistance = distance;
        HuberDelta = huberDelta;
    }

    /// <summary>Weight α of the teacher term on labelled rows.</summary>
    public double Alpha { get; }

    /// <summary>The element-wise distance.</summary>
    public RegressionDistance RegressionDistance { get; }

    /// <summary>Huber threshold δ.</summary>
    public double HuberDelta { get; }

    /// <inheritdoc />
    public override string Name => $"regression-kd({Distance.TermName(RegressionDistance)},a={Alpha:G3}" +
                                   (RegressionDistance == RegressionDistance.Huber ? $",delta={HuberDelta:G3})" : ")");

    /// <summary>False: without a teacher the loss is the distance to the labels.</summary>
    public override bool RequiresTeacher => false;

    /// <summary>True: with a teacher column the teacher teaches (the rows without a label, and the labelled rows by α); without one the labels alone.</summary>
    public override bool UsesTeacher => true;

    /// <inheritdoc />
    public override IReadOnlyCollection<DistillationTask> Tasks => [DistillationTask.Regression];

    /// <inheritdoc />
    public override LossTerms Compute(LossContext c)
    {
        var s = c.StudentLogits;
        var y = RequireTargets(c);
        string name = Distance.TermName(RegressionDistance);
        var toLabel = RowMean(Distance.Elementwise(RegressionDistance, s, y, HuberDelta));
        if (c.Teacher is null) return new LossTerms().Add($"{name}-label", MaskedMean(toLabel, c.LabelMask));

        var toTeacher = RowMean(Distance.Elementwise(RegressionDistance, s, RequireTaskTeacher(c), HuberDelta));
        var lf = LabelledRows(c, s);
        long n = s.shape[0];
        return new LossTerms()
            .Add($"{name}-label", (toLabel * lf).sum() * (1 - Alpha) / n)
            .Add($"{name}-teacher", (toTeacher * (lf * Alpha + (1 - lf))).sum() / n);
    }
}
