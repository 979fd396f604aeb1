using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// The confidence-limiting loss of Chen, Raventós, Cheng, Ganguli and Druckmann 2025, "Rethinking Fine-Tuning when
/// Scaling Test-Time Compute: Limiting Confidence Improves Mathematical Reasoning" (Direct Coverage Optimization, DCO):
/// the negative log-likelihood that at least one of N independent samples from the model is correct,
/// <code>
/// L = −log(1 − (1 − q_y)^N)
/// </code>
/// Its gradient is cross-entropy's scaled by <c>F = N·q_y·(1 − q_y)^(N−1) / (1 − (1 − q_y)^N)</c>, which vanishes as
/// q_y → 1: once the correct class is likely enough to be found among N tries, the example stops pushing the model
/// towards more confidence. N = 1 is cross-entropy. Term: <c>dco</c>.
/// </summary>
/// <remarks>
/// Computed without cancellation through <c>1 − (1 − q)^N = q·Σ_{k&lt;N} (1 − q)^k</c>:
/// <c>L = −log q_y − logsumexp_{k&lt;N}(k·log(1 − q_y))</c>, with log(1 − q_y) taken as the log-sum-exp of the
/// non-target logits minus that of all logits, so the loss is finite for any logits. The paper trains with the N of the
/// intended test-time budget; the default N = 4 is a moderate one. Use it alone as a calibrated alternative to CE, or in
/// place of the CE part of a distillation objective. A student loss; rows without a label are skipped.
/// </remarks>
public sealed class ConfidenceLimitingLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="n">N ≥ 1, the number of attempts the loss optimises coverage for (default 4; 1 is cross-entropy).</param>
    public ConfidenceLimitingLoss(int n = 4)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "N (the number of attempts) must be ≥ 1; N = 1 is plain cross-entropy.");
        N = n;
    }

    /// <summary>N, the number of attempts.</summary>
    public int N { get; }

    /// <inheritdoc />
    public override string Name => $"dco(N={N})";

    /// <inheritdoc />
    public override bool RequiresTeacher => false;

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        RequireClasses(context, 2);
        var s = context.StudentLogits;
        var y = context.Labels.clamp_min(0);
        var all = s.logsumexp(1);
        var logQy = TargetColumn(s, y) - all;
        var rows = -logQy;
        if (N > 1)
        {
            var logMiss = NonTargetColumns(s, y).logsumexp(1) - all;                         // log(1 − q_y)
            var k = arange(N, dtype: s.dtype, device: s.device).unsqueeze(0);               // [1, N]
            rows = rows - (logMiss.unsqueeze(1) * k).logsumexp(1);
        }
        return new LossTerms().Add("dco", MaskedMean(rows, context.LabelMask));
    }
}
