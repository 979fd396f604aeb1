using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Universal Self-Knowledge Distillation (Yang et al. 2023, "From Knowledge Distillation to Self-Knowledge Distillation:
/// A Unified Approach with Normalized Loss and Customized Soft Labels", ICCV; reference code yzd-v/cls_KD). Teacher-free:
/// the student makes its own soft labels.
/// <code>
/// target label   p̃_y = q_y² + 1 − mean_batch(q_y²)              (q = student softmax; no gradient through p̃)
/// L_target       = −p̃_y · log q_y
/// non-target     z_i ∝ 1/rank_i over the K−1 non-target classes (Zipf's law), ranked by the sum of the normalised
///                non-target probabilities of the weak head w and of the final logits s
/// L_nontarget    = −Σ_{i≠y} z_i · log q̂_i                         (q̂ = softmax over the non-target logits)
/// L_weak         = −Σ_k (0.9·onehot(y) + 0.1/K)_k · log softmax(w)_k
/// L              = ceWeight·CE(s, y) + α·L_target + β·L_nontarget + μ·L_weak
/// </code>
/// Terms: <c>ce</c>, <c>uskd_target</c>, <c>uskd_nontarget</c>, <c>uskd_weak</c>.
/// </summary>
/// <remarks>
/// The weak logits w come from an extra linear head the trainer grows on the student's penultimate layer
/// (<see cref="ExtraHeads"/>, named <see cref="WeakHeadName"/>); the paper puts it on an earlier stage's features, which an
/// MLP student does not expose. The ranking uses the normalised non-target probabilities
/// (<c>w_i/(1−w_y) + q_i/(1−q_y)</c>, as the paper describes it), computed as two softmaxes over the non-target logits
/// so that a saturated target cannot divide by zero; the reference code instead ranks with the student's
/// log-probabilities and includes the target in the ranking. Ties are broken by class index. Defaults are the paper's
/// (α = 1, β = 0.1, μ = 0.005, CE weight 1). Missing labels: a teacher-free method has no target for an unlabelled row,
/// so every term is averaged over labelled rows only (an all-unlabelled batch gives zero).
/// </remarks>
public sealed class UskdLoss : DistillationLoss
{
    /// <summary>Name of the weak (auxiliary) head in <see cref="LossContext.Heads"/>.</summary>
    public const string WeakHeadName = "uskd.weak";

    /// <summary>Creates the loss.</summary>
    /// <param name="alpha">Weight α of the soft target term (default 1).</param>
    /// <param name="beta">Weight β of the Zipf non-target term (default 0.1).</param>
    /// <param name="mu">Weight μ of the weak head's smoothed cross-entropy (default 0.005).</param>
    /// <param name="ceWeight">Weight of the cross-entropy term (default 1).</param>
    public UskdLoss(double alpha = 1.0, double beta = 0.1, double mu = 0.005, double ceWeight = 1.0)
    {
        Alpha = Check.NonNegative(alpha, nameof(alpha), "The target weight α");
        Beta = Check.NonNegative(beta, nameof(beta), "The non-target weight β");
        Mu = Check.NonNegative(mu, nameof(mu), "The weak-head weight μ");
        CeWeight = Check.NonNegative(ceWeight, nameof(ceWeight), "The cross-entropy weight");
    }

    /// <summary>Weight α of the soft target term.</summary>
    public double Alpha { get; }

    /// <summary>Weight β of the non-target term.</summary>
    public double Beta { get; }

    /// <summary>Weight μ of the weak head's loss.</summary>
    public double Mu { get; }

    /// <summary>Weight of the cross-entropy term.</summary>
    public double CeWeight { get; }

    /// <inheritdoc />
    public override string Name => $"uskd(a={Alpha:G3},b={Beta:G3},mu={Mu:G3})";

    /// <inheritdoc />
    public override bool RequiresTeacher => false;

    /// <inheritdoc />
    public override IEnumerable<StudentHead> ExtraHeads => [new StudentHead(WeakHeadName)];

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        RequireClasses(context, 2);
        if (!context.Heads.TryGetValue(WeakHeadName, out var weak))
            throw new InvalidOperationException(
                $"USKD needs the output of its weak head '{WeakHeadName}' in LossContext.Heads; the trainer grows it from " +
                "DistillationLoss.ExtraHeads. When calling the loss yourself, add a linear head on the penultimate layer and pass its logits.");
        var s = context.StudentLogits;
        long b = s.shape[0], k = s.shape[1];
        var mask = context.LabelMask;
        var lab = LabelledRows(context, s);
        var y = context.Labels.clamp_min(0);

        var logQ = nn.functional.log_softmax(s, 1);
        var logQy = TargetColumn(logQ, y);
        var squared = logQy.detach().exp().square();
        var softTarget = squared + 1.0 - (squared * lab).sum() / lab.sum().clamp_min(1.0);
        var targetRows = -(softTarget * logQy);

        var smoothed = full(b, k, 0.1 / k, dtype: s.dtype, device: s.device) + nn.functional.one_hot(y, k).to_type(s.dtype) * 0.9;
        var weakRows = -(smoothed * nn.functional.log_softmax(weak, 1)).sum(1);

        var ntS = NonTargetColumns(s, y);
        var score = (nn.functional.softmax(NonTargetColumns(weak, y), 1) + nn.functional.softmax(ntS, 1)).detach();
        var (_, order) = score.sort(1, descending: true, stable: true);
        var ranks = arange(1, k, dtype: s.dtype, device: s.device).unsqueeze(0).repeat(b, 1);
        var zipf = zeros_like(score).scatter(1, order, ranks).reciprocal();
        zipf = zipf / zipf.sum(1, keepdim: true);
        var nonTargetRows = -(zipf * nn.functional.log_softmax(ntS, 1)).sum(1);

        var ce = MaskedMean(CrossEntropyPerRow(context), mask);
        return new LossTerms()
            .Add("ce", ce * CeWeight)
            .Add("uskd_target", MaskedMean(targetRows, mask) * Alpha)
            .Add("uskd_nontarget", MaskedMean(nonTargetRows, mask) * Beta)
            .Add("uskd_weak", MaskedMean(weakRows, mask) * Mu);
    }
}
