using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Knowledge distillation for a binary student with one logit s per row (Hinton et al. 2015 on the sigmoid). A labelled
/// row takes <c>(1−α)·BCE(s, y) + α·T²·KL(Bern(σ(t/T)) ‖ Bern(σ(s/T)))</c>; a row without a label takes the KD part
/// <c>T²·KL</c> alone (the teacher is its only supervision). The KD part is the Bernoulli KL divergence — the soft-target
/// BCE minus the teacher's entropy — so it is zero where s = t and has the soft-target BCE's gradient
/// <c>T·(σ(s/T) − σ(t/T))</c>. Terms: <c>bce</c> and <c>binary-kd</c>, each summed over their rows and divided by the
/// batch size, so that their sum is the batch mean of the per-row loss.
/// Without a teacher (a fit from scratch) the loss is the plain BCE on the labelled rows (term <c>bce</c>, their mean), so
/// one default serves scratch and distilled fits; with α = 0 and every row labelled it equals that BCE exactly.
/// </summary>
public sealed class BinaryKdLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">Softening temperature T &gt; 0 (default 1).</param>
    /// <param name="alpha">Weight α ∈ [0, 1] of the distillation term on labelled rows (default 0: labelled rows learn from their labels).</param>
    public BinaryKdLoss(double temperature = 1.0, double alpha = 0.0)
    {
        Temperature = Check.Temperature(temperature, nameof(temperature));
        Alpha = Check.UnitInterval(alpha, nameof(alpha), "Alpha");
    }

    /// <summary>Temperature T.</summary>
    public double Temperature { get; }

    /// <summary>Weight α of the KD term on labelled rows.</summary>
    public double Alpha { get; }

    /// <inheritdoc />
    public override string Name => $"binary-kd(T={Temperature:G3},a={Alpha:G3})";

    /// <summary>False: without a teacher the loss is the BCE on the labels.</summary>
    public override bool RequiresTeacher => false;

    /// <summary>True: with a teacher column the teacher teaches (the rows without a label, and the labelled rows by α); without one the labels alone.</summary>
    public override bool UsesTeacher => true;

    /// <inheritdoc />
    public override IReadOnlyCollection<DistillationTask> Tasks => [DistillationTask.BinaryClassification];

    /// <inheritdoc />
    public override LossTerms Compute(LossContext c)
    {
        var s = c.StudentLogits;
        var y = RequireTargets(c);
        var lf = LabelledRows(c, s);
        var bce = RowMean(nn.functional.binary_cross_entropy_with_logits(s, y, reduction: nn.Reduction.None));
        if (c.Teacher is null) return new LossTerms().Add("bce", MaskedMean(bce, c.LabelMask));

        double t = Temperature;
        var kd = RowMean(BernoulliKl(RequireTaskTeacher(c) / t, s / t)) * (t * t);
        long n = s.shape[0];
        return new LossTerms()
            .Add("bce", (bce * lf).sum() * (1 - Alpha) / n)
            .Add("binary-kd", (kd * (lf * Alpha + (1 - lf))).sum() / n);
    }

    /// <summary>
    /// Element-wise KL(Bern(σ(a)) ‖ Bern(σ(b))) from logits, finite for any magnitude: log σ(x) = −softplus(−x) and
    /// log(1 − σ(x)) = −softplus(x).
    /// </summary>
    internal static Tensor BernoulliKl(Tensor a, Tensor b)
    {
        var logP = -nn.functional.softplus(-a);
        var logNotP = -nn.functional.softplus(a);
        var logQ = -nn.functional.softplus(-b);
        var logNotQ = -nn.functional.softplus(b);
        return logP.exp() * (logP - logQ) + logNotP.exp() * (logNotP - logNotQ);
    }
}
