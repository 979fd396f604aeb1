using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Hinton KD that never teaches a labelled row against its label: on a labelled row whose teacher top-1 class is the
/// label, <c>α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1−α)·CE(s, y)</c>; on a labelled row the teacher gets wrong,
/// <c>CE(s, y)</c> alone; on a row without a label, <c>T²·KL</c> alone (the teacher is its only supervision). The
/// correction of a teacher's wrong predictions follows the knowledge adjustment of Wen, Lai and Qian, "Preparing Lessons:
/// Improve Knowledge Distillation with Better Supervision" (Neurocomputing 2021), which replaces them; here they are
/// dropped, so no row pulls the student away from its ground truth. Terms: <c>kd</c> and <c>ce</c>, each divided by
/// the batch size so that <c>kd + ce</c> is the batch mean of the per-row loss.
/// </summary>
public sealed class TeacherCorrectedKdLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">Softening temperature T &gt; 0 (default 1).</param>
    /// <param name="alpha">Weight α ∈ [0, 1] of the distillation term on labelled rows the teacher gets right (default 0.5).</param>
    /// <param name="minimumConfidence">A labelled row is distilled only when the teacher's top-class probability (at T = 1) is at least this (default 0: whenever it is right).</param>
    public TeacherCorrectedKdLoss(double temperature = 1.0, double alpha = 0.5, double minimumConfidence = 0)
    {
        Temperature = Check.Temperature(temperature, nameof(temperature));
        Alpha = Check.UnitInterval(alpha, nameof(alpha), "Alpha");
        MinimumConfidence = Check.UnitInterval(minimumConfidence, nameof(minimumConfidence), "The minimum confidence");
    }

    /// <summary>Temperature T.</summary>
    public double Temperature { get; }

    /// <summary>Weight α of the KD term on labelled rows the teacher gets right.</summary>
    public double Alpha { get; }

    /// <summary>Teacher top-class probability below which a labelled row learns from its label alone.</summary>
    public double MinimumConfidence { get; }

    /// <inheritdoc />
    public override string Name => $"corrected-kd(T={Temperature:G3},a={Alpha:G3}{(MinimumConfidence > 0 ? $",p>={MinimumConfidence:G3}" : "")})";

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
        var right = labelled.logical_and(logPt.argmax(1).eq(c.Labels));
        if (MinimumConfidence > 0) right = right.logical_and((t == 1.0 ? logPt : c.TeacherLogProbabilities(1.0)).max(1).values.exp().ge(MinimumConfidence));
        var lf = labelled.to_type(kl.dtype);
        var rf = right.to_type(kl.dtype);
        var kdWeight = rf * Alpha + (1 - lf);                 // α where the teacher is right, 0 where it is wrong, 1 without a label
        var ceWeight = rf * (1 - Alpha) + (lf - rf);          // 1 − α where the teacher is right, 1 where it is wrong
        var w = c.RowWeightsOr1(kl);
        kdWeight *= w;
        ceWeight *= w;
        var ce = CrossEntropyPerRow(c);
        long n = c.StudentLogits.shape[0];
        return new LossTerms()
            .Add("kd", (kl * kdWeight).sum() / n)
            .Add("ce", (ce * ceWeight).sum() / n);
    }
}
