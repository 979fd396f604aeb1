using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Hinton, Vinyals and Dean, "Distilling the Knowledge in a Neural Network" (2015).
/// Per row: <c>α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1−α)·CE(s, y)</c>; a row without a label takes
/// <c>T²·KL</c> alone (the teacher is its only supervision). Terms: <c>kd</c> (mean over all rows of the weighted
/// KD part) and <c>ce</c> (sum over labelled rows of (1−α)·CE, divided by the batch size), so that
/// <c>kd + ce</c> is the batch mean of the per-row loss (each row's loss times its <see cref="LossContext.RowWeights"/>).
/// </summary>
public sealed class HintonLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">Softening temperature T &gt; 0 (default 4).</param>
    /// <param name="alpha">Weight α ∈ [0, 1] of the distillation term on labelled rows (default 0.9).</param>
    public HintonLoss(double temperature = 4.0, double alpha = 0.9)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be positive (typical values 1–8).");
        if (alpha is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Alpha must lie in [0, 1].");
        Temperature = temperature;
        Alpha = alpha;
    }

    /// <summary>Temperature T.</summary>
    public double Temperature { get; }

    /// <summary>Weight α of the KD term.</summary>
    public double Alpha { get; }

    /// <inheritdoc />
    public override string Name => $"hinton(T={Temperature:G3},a={Alpha:G3})";

    /// <inheritdoc />
    public override bool SupportsRowWeights => true;

    /// <inheritdoc />
    public override LossTerms Compute(LossContext c)
    {
        double t = Temperature;
        var logPt = c.TeacherLogProbabilities(t);
        var logPs = nn.functional.log_softmax(c.StudentLogits / t, 1);
        var kl = KlPerRow(logPt, logPs) * (t * t);
        var labelled = c.LabelMask;
        var lf = labelled.to_type(kl.dtype);
        var w = c.RowWeightsOr1(kl);
        var kdWeight = (lf * Alpha + (1 - lf)) * w;
        var ce = nn.functional.cross_entropy(c.StudentLogits, c.Labels.clamp_min(0), reduction: nn.Reduction.None);
        long n = c.StudentLogits.shape[0];
        return new LossTerms()
            .Add("kd", (kl * kdWeight).sum() / n)
            .Add("ce", (ce * lf * w).sum() * (1 - Alpha) / n);
    }
}
