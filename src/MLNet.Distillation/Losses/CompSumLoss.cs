using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// The comp-sum family (Mao, Mohri and Zhong 2023, "Cross-Entropy Loss Functions: Theoretical Analysis and
/// Applications", ICML): with <c>u = Σ_{k≠y} exp(s_k − s_y) = 1/q_y − 1</c>,
/// <code>
/// Φ^τ(u) = log(1 + u) = −log q_y                  τ = 1  (cross-entropy)
/// Φ^τ(u) = ((1 + u)^(1−τ) − 1)/(1 − τ)
///        = (1 − q_y^(τ−1))/(τ − 1)               τ &gt; 1
/// </code>
/// τ = 1 + q gives generalized cross-entropy (Zhang and Sabuncu 2018, "Generalized Cross Entropy Loss for Training Deep
/// Neural Networks with Noisy Labels"; GCE = (1 − q_y^q)/q), τ = 2 the mean absolute error 1 − q_y (half of
/// ‖onehot(y) − q‖₁). Larger τ is more robust to label noise and slower to fit. Term: <c>ce</c> (τ = 1), <c>gce</c>
/// (1 &lt; τ &lt; 2), <c>mae</c> (τ = 2) or <c>compsum</c> (τ &gt; 2).
/// </summary>
/// <remarks>
/// τ &lt; 1 (e.g. the sum-exponential loss, τ = 0) is unbounded and overflows for extreme logits, so it is not offered.
/// A student loss (no teacher); rows without a label are skipped.
/// </remarks>
public sealed class CompSumLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="tau">τ ≥ 1 (default 1.7, i.e. GCE with the paper's q = 0.7).</param>
    public CompSumLoss(double tau = 1.7)
    {
        if (!(tau >= 1) || double.IsInfinity(tau)) throw new ArgumentOutOfRangeException(nameof(tau), tau, "The comp-sum τ must be a finite number ≥ 1 (1: cross-entropy, 1 + q: GCE, 2: MAE).");
        Tau = tau;
    }

    /// <summary>τ.</summary>
    public double Tau { get; }

    /// <summary>The term name: ce, gce, mae or compsum.</summary>
    public string TermName => Tau == 1 ? "ce" : Tau == 2 ? "mae" : Tau < 2 ? "gce" : "compsum";

    /// <inheritdoc />
    public override string Name => Tau == 2 ? "mae" : Tau == 1 ? "ce" : Tau < 2 ? $"gce(q={Tau - 1:G3})" : $"compsum(tau={Tau:G3})";

    /// <inheritdoc />
    public override bool RequiresTeacher => false;

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        var logQy = TargetColumn(nn.functional.log_softmax(context.StudentLogits, 1), context.Labels.clamp_min(0));
        var rows = Tau == 1 ? -logQy : (1 - (logQy * (Tau - 1)).exp()) / (Tau - 1);
        return new LossTerms().Add(TermName, MaskedMean(rows, context.LabelMask));
    }
}
