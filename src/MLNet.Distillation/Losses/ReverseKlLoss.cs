using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Reverse Kullback–Leibler divergence <c>T²·KL(q_s ‖ p_t)</c> with <c>q_s = softmax(s/T)</c> and <c>p_t</c> the
/// teacher's distribution at temperature T, averaged over rows. Mode-seeking: the student concentrates on the teacher's
/// main modes instead of covering all of them (used for LLM distillation, e.g. Gu et al. 2024, "MiniLLM"; analysed in
/// Wu et al. 2024, "Rethinking KL Divergence in Knowledge Distillation for LLMs"). Term: <c>rkl</c>.
/// </summary>
/// <remarks>
/// Needs no labels (every row is matched to the teacher). Probability teachers are read through
/// <see cref="LossContext.TeacherLogProbabilities"/>; a zero teacher probability counts as 1e-30, so a one-hot teacher
/// gives a large but finite loss. Combine with cross-entropy for labelled data, e.g.
/// <c>0.9 * DistillationLoss.ReverseKl() + 0.1 * DistillationLoss.CrossEntropy()</c>.
/// </remarks>
public sealed class ReverseKlLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">Softening temperature T &gt; 0 (default 1).</param>
    public ReverseKlLoss(double temperature = 1.0) => Temperature = Check.Temperature(temperature, nameof(temperature));

    /// <summary>Temperature T.</summary>
    public double Temperature { get; }

    /// <inheritdoc />
    public override string Name => $"rkl(T={Temperature:G3})";

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        RequireTeacherShape(context);
        double t = Temperature;
        var logQ = nn.functional.log_softmax(context.StudentLogits / t, 1);
        var logP = context.TeacherLogProbabilities(t);
        return new LossTerms().Add("rkl", KlPerRow(logQ, logP).mean() * (t * t));
    }
}
