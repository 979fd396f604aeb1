using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Skew reverse Kullback–Leibler divergence (Ko et al. 2024, "DistiLLM"): <c>SRKL(λ) = T²·KL(q_s ‖ (1−λ)·p_t + λ·q_s)</c>,
/// averaged over rows. The reverse (mode-seeking) direction, with the teacher mixed with some of the student so that
/// classes the teacher rules out do not blow the loss up. λ = 0 is reverse KL. Term: <c>srkl</c>.
/// </summary>
/// <remarks>Needs no labels; log-space mixing keeps one-hot teachers and extreme logits finite.</remarks>
public sealed class SkewReverseKlLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="skew">Skew λ ∈ [0, 1): weight of the student in the mixture (default 0.1, the paper's choice).</param>
    /// <param name="temperature">Softening temperature T &gt; 0 (default 1).</param>
    public SkewReverseKlLoss(double skew = 0.1, double temperature = 1.0)
    {
        if (!(skew >= 0 && skew < 1)) throw new ArgumentOutOfRangeException(nameof(skew), skew, "The skew λ must lie in [0, 1) (0 gives reverse KL; the paper uses 0.1).");
        Skew = skew;
        Temperature = Check.Temperature(temperature, nameof(temperature));
    }

    /// <summary>Skew λ.</summary>
    public double Skew { get; }

    /// <summary>Temperature T.</summary>
    public double Temperature { get; }

    /// <inheritdoc />
    public override string Name => $"srkl(l={Skew:G3},T={Temperature:G3})";

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        RequireTeacherShape(context);
        double t = Temperature;
        var logP = context.TeacherLogProbabilities(t);
        var logQ = nn.functional.log_softmax(context.StudentLogits / t, 1);
        var logMix = Skew == 0 ? logP : LogAddExp(logP + Math.Log(1 - Skew), logQ + Math.Log(Skew));
        return new LossTerms().Add("srkl", KlPerRow(logQ, logMix).mean() * (t * t));
    }
}
