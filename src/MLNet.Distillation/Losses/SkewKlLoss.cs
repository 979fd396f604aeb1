using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Skew Kullback–Leibler divergence (Ko et al. 2024, "DistiLLM: Towards Streamlined Distillation for Large Language
/// Models"): <c>SKL(λ) = T²·KL(p_t ‖ λ·p_t + (1−λ)·q_s)</c>, averaged over rows. Mixing a little of the teacher into the
/// student's distribution bounds the divergence and its gradient where the student gives a class almost no mass.
/// λ = 0 is forward KL. Term: <c>skl</c>.
/// </summary>
/// <remarks>Needs no labels; log-space mixing keeps one-hot teachers and extreme logits finite.</remarks>
public sealed class SkewKlLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="skew">Skew λ ∈ [0, 1): weight of the teacher in the mixture (default 0.1, the paper's choice).</param>
    /// <param name="temperature">Softening temperature T &gt; 0 (default 1).</param>
    public SkewKlLoss(double skew = 0.1, double temperature = 1.0)
    {
        if (!(skew >= 0 && skew < 1)) throw new ArgumentOutOfRangeException(nameof(skew), skew, "The skew λ must lie in [0, 1) (0 gives forward KL; the paper uses 0.1).");
        Skew = skew;
        Temperature = Check.Temperature(temperature, nameof(temperature));
    }

    /// <summary>Skew λ.</summary>
    public double Skew { get; }

    /// <summary>Temperature T.</summary>
    public double Temperature { get; }

    /// <inheritdoc />
    public override string Name => $"skl(l={Skew:G3},T={Temperature:G3})";

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        RequireTeacherShape(context);
        double t = Temperature;
        var logP = context.TeacherLogProbabilities(t);
        var logQ = nn.functional.log_softmax(context.StudentLogits / t, 1);
        var logMix = Skew == 0 ? logQ : LogAddExp(logP + Math.Log(Skew), logQ + Math.Log(1 - Skew));
        return new LossTerms().Add("skl", KlPerRow(logP, logMix).mean() * (t * t));
    }
}
