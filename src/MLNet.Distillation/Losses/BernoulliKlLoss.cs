using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Regression onto [0, 1] through a sigmoid, with the Bernoulli KL divergence in place of the squared error — the "KL loss"
/// of contextual bandits with online neural regression (Deb, Ban, Zuo, He and Banerjee, "Contextual Bandits with Online
/// Neural Regression", arXiv 2312.07145, ICLR 2024), for targets such as rates or click probabilities. The prediction is σ(f) for the student's
/// output f; element-wise <c>KL(y ‖ σ(f)) = y·log(y/σ(f)) + (1−y)·log((1−y)/(1−σ(f)))</c>, zero where σ(f) = y, with
/// gradient σ(f) − y. A labelled row takes <c>(1−α)·KL(y ‖ σ(f)) + α·KL(t ‖ σ(f))</c>, a row without a label
/// <c>KL(t ‖ σ(f))</c> alone, each averaged over the k outputs. Targets and teacher arrive raw
/// (<see cref="PredictsThroughSigmoid"/>): targets must lie in [0, 1] (others are refused), the teacher's values are clipped
/// to [0, 1] (a regression teacher may overshoot slightly). Terms: <c>kl-label</c> and <c>kl-teacher</c>, each summed over
/// their rows and divided by the batch size; without a teacher, <c>kl-label</c> alone, the mean over labelled rows.
/// </summary>
public sealed class BernoulliKlLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="alpha">Weight α ∈ [0, 1] of the teacher term on labelled rows (default 0: labelled rows learn from their labels).</param>
    public BernoulliKlLoss(double alpha = 0.0) => Alpha = Check.UnitInterval(alpha, nameof(alpha), "Alpha");

    /// <summary>Weight α of the teacher term on labelled rows.</summary>
    public double Alpha { get; }

    /// <inheritdoc />
    public override string Name => $"bernoulli-kl(a={Alpha:G3})";

    /// <summary>False: without a teacher the loss is the KL to the labels.</summary>
    public override bool RequiresTeacher => false;

    /// <summary>True: with a teacher column the teacher teaches (the rows without a label, and the labelled rows by α); without one the labels alone.</summary>
    public override bool UsesTeacher => true;

    /// <inheritdoc />
    public override IReadOnlyCollection<DistillationTask> Tasks => [DistillationTask.Regression];

    /// <summary>True: the student predicts σ(output); targets and teacher are raw values in [0, 1].</summary>
    public override bool PredictsThroughSigmoid => true;

    /// <inheritdoc />
    public override LossTerms Compute(LossContext c)
    {
        var f = c.StudentLogits;
        var y = RequireTargets(c);
        if (y.ge(0).logical_and(y.le(1)).logical_not().any().item<bool>())   // also catches NaN
            throw new ArgumentException(
                $"{Name}: the targets must lie in [0, 1] (the loss predicts through a sigmoid), but the batch has targets from " +
                $"{y.min().to_type(ScalarType.Float64).item<double>():G6} to {y.max().to_type(ScalarType.Float64).item<double>():G6}. " +
                "Rescale the label column to [0, 1], or use DistillationLoss.RegressionKd() for unbounded targets.", nameof(c));
        var toLabel = RowMean(Kl(y, f));
        if (c.Teacher is null) return new LossTerms().Add("kl-label", MaskedMean(toLabel, c.LabelMask));

        var toTeacher = RowMean(Kl(RequireTaskTeacher(c).clamp(0.0, 1.0), f));
        var lf = LabelledRows(c, f);
        long n = f.shape[0];
        return new LossTerms()
            .Add("kl-label", (toLabel * lf).sum() * (1 - Alpha) / n)
            .Add("kl-teacher", (toTeacher * (lf * Alpha + (1 - lf))).sum() / n);
    }

    /// <summary>Element-wise KL(Bern(p) ‖ Bern(σ(f))) for p in [0, 1] and logits f, with 0·log 0 = 0; finite for any f.</summary>
    private static Tensor Kl(Tensor p, Tensor f)
    {
        var logQ = -nn.functional.softplus(-f);
        var logNotQ = -nn.functional.softplus(f);
        var notP = 1 - p;
        return XLogX(p) + XLogX(notP) - p * logQ - notP * logNotQ;
    }

    private static Tensor XLogX(Tensor x) => where(x.gt(0), x * x.clamp_min(1e-30).log(), zeros_like(x));
}
