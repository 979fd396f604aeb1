using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Sinkhorn Knowledge Distillation, batch-wise (Cui et al. 2024, "SinKD: Sinkhorn Distance Minimization for Knowledge
/// Distillation", LREC-COLING; reference code 2018cx/SinKD). The B student distributions q_i = softmax(s_i/T) and the B
/// teacher distributions p_j of a batch are two point clouds; the loss is the entropy-regularised optimal-transport cost
/// between them:
/// <code>
/// C_ij = ‖q_i − p_j‖₁,   K = exp(−C/ε)
/// P    = Sinkhorn(K): n times { scale rows to sum 1/B; scale columns to sum 1/B }
/// L    = Σ_ij P_ij · C_ij
/// </code>
/// The gradient flows through both C and the Sinkhorn iterations (as in the reference). Term: <c>sinkhorn</c>.
/// </summary>
/// <remarks>
/// The batch-wise reformulation compares every student row with every teacher row, so the loss sees the geometry of the
/// batch instead of matching pairs one by one; for a batch of one it is the L1 distance between the two distributions.
/// Uniform marginals 1/B make the value independent of the batch size (the reference uses unit marginals, which scales
/// the loss by B, and multiplies by a small constant; use a weight, e.g. <c>0.5 * DistillationLoss.Sinkhorn()</c>). The
/// iterations run in log space, so small ε cannot underflow. Needs no labels; the paper adds it to a KD objective, e.g.
/// <c>DistillationLoss.Hinton(2, 0.8) + DistillationLoss.Sinkhorn()</c>. Defaults: T = 1, ε = 0.1, 20 iterations
/// (the reference code's values).
/// </remarks>
public sealed class SinkhornLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">Softening temperature T &gt; 0 (default 1).</param>
    /// <param name="epsilon">Entropic regularisation ε &gt; 0 (default 0.1; smaller is closer to the Wasserstein distance).</param>
    /// <param name="iterations">Sinkhorn iterations n ≥ 1 (default 20).</param>
    public SinkhornLoss(double temperature = 1.0, double epsilon = 0.1, int iterations = 20)
    {
        Temperature = Check.Temperature(temperature, nameof(temperature));
        Epsilon = Check.Positive(epsilon, nameof(epsilon), "The entropic regularisation ε");
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "Sinkhorn needs at least one iteration (the paper uses 20).");
        Iterations = iterations;
    }

    /// <summary>Temperature T.</summary>
    public double Temperature { get; }

    /// <summary>Entropic regularisation ε.</summary>
    public double Epsilon { get; }

    /// <summary>Number of Sinkhorn iterations.</summary>
    public int Iterations { get; }

    /// <inheritdoc />
    public override string Name => $"sinkhorn(T={Temperature:G3},eps={Epsilon:G3})";

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        RequireTeacherShape(context);
        var q = nn.functional.softmax(context.StudentLogits / Temperature, 1);
        var p = context.TeacherProbabilities(Temperature);
        long b = q.shape[0];
        var cost = (q.unsqueeze(1) - p.unsqueeze(0)).abs().sum(2);          // [B, B]
        double logMarginal = -Math.Log(b);
        var logPlan = cost / -Epsilon;
        for (int i = 0; i < Iterations; i++)
        {
            logPlan = logPlan - logPlan.logsumexp(1, keepdim: true) + logMarginal;
            logPlan = logPlan - logPlan.logsumexp(0, keepdim: true) + logMarginal;
        }
        return new LossTerms().Add("sinkhorn", (logPlan.exp() * cost).sum());
    }
}
