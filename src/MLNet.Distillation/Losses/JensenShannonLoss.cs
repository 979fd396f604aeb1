using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Generalized Jensen–Shannon divergence (Agarwal et al. 2024, "On-Policy Distillation of Language Models: Learning from
/// Self-Generated Mistakes", GKD): with <c>m = β·p_t + (1−β)·q_s</c>,
/// <c>JSD(β) = T²·[β·KL(p_t ‖ m) + (1−β)·KL(q_s ‖ m)]</c>, averaged over rows; β = 0.5 is the symmetric
/// Jensen–Shannon divergence. Small β behaves like forward KL (mode covering), large β like reverse KL (mode seeking).
/// Term: <c>jsd</c>.
/// </summary>
/// <remarks>
/// Needs no labels. Bounded (by T²·ln 2 for β = 0.5), so it is robust to a teacher that is confidently wrong; computed in
/// log space (log m = logaddexp(log β + log p, log(1−β) + log q)) so one-hot teachers and extreme logits stay finite.
/// </remarks>
public sealed class JensenShannonLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="beta">Mixing weight β ∈ (0, 1) of the teacher in m (default 0.5, the symmetric JSD).</param>
    /// <param name="temperature">Softening temperature T &gt; 0 (default 1).</param>
    public JensenShannonLoss(double beta = 0.5, double temperature = 1.0)
    {
        Beta = Check.OpenUnit(beta, nameof(beta), "The JSD mixing weight β");
        Temperature = Check.Temperature(temperature, nameof(temperature));
    }

    /// <summary>Mixing weight β.</summary>
    public double Beta { get; }

    /// <summary>Temperature T.</summary>
    public double Temperature { get; }

    /// <inheritdoc />
    public override string Name => Beta == 0.5 ? $"jsd(T={Temperature:G3})" : $"jsd(b={Beta:G3},T={Temperature:G3})";

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        RequireTeacherShape(context);
        double t = Temperature;
        var logP = context.TeacherLogProbabilities(t);
        var logQ = nn.functional.log_softmax(context.StudentLogits / t, 1);
        var logM = LogAddExp(logP + Math.Log(Beta), logQ + Math.Log(1 - Beta));
        var jsd = KlPerRow(logP, logM) * Beta + KlPerRow(logQ, logM) * (1 - Beta);
        return new LossTerms().Add("jsd", jsd.mean() * (t * t));
    }
}
