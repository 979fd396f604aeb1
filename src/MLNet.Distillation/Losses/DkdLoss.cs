using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Decoupled Knowledge Distillation (Zhao et al. 2022, "Decoupled Knowledge Distillation", CVPR; reference code
/// megvii-research/mdistiller). KD splits into a target-class part and a non-target part that are weighted separately:
/// <code>
/// TCKD = T²·KL([p_t,y, 1−p_t,y] ‖ [q_s,y, 1−q_s,y])                  (binary: target vs the rest)
/// NCKD = T²·KL(p̂_t ‖ q̂_s),  p̂ = softmax over the K−1 non-target classes at T
/// L    = ceWeight·CE(s, y) + w(epoch)·(α·TCKD + β·NCKD),  w = min(1, (epoch+1)/warmupEpochs)
/// </code>
/// Terms: <c>ce</c>, <c>tckd</c>, <c>nckd</c> (the last two already multiplied by the warm-up weight).
/// </summary>
/// <remarks>
/// Defaults are the paper's CIFAR-100 setting (α = 1, β = 8, T = 4, 20 warm-up epochs, CE weight 1); the ImageNet setting
/// is β = 0.5, T = 1. Missing labels: CE is averaged over labelled rows only; TCKD/NCKD use the label where present and
/// the teacher's top-1 class where not (<see cref="LossContext.TargetsOrTeacherArgmax"/>). The non-target distribution is
/// formed from the K−1 gathered non-target logits (not by subtracting 1000 from the target logit, which fails for logits
/// of that size); the binary distribution is built from log-sum-exps, so saturated rows stay finite.
/// </remarks>
public sealed class DkdLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="alpha">Weight α of TCKD (default 1).</param>
    /// <param name="beta">Weight β of NCKD (default 8; 0.5 on ImageNet-like tasks).</param>
    /// <param name="temperature">Temperature T &gt; 0 (default 4).</param>
    /// <param name="warmupEpochs">Epochs over which the KD weight rises linearly to 1 (default 20; 0 disables).</param>
    /// <param name="ceWeight">Weight of the cross-entropy term on labelled rows (default 1; 0 leaves pure DKD).</param>
    public DkdLoss(double alpha = 1.0, double beta = 8.0, double temperature = 4.0, int warmupEpochs = 20, double ceWeight = 1.0)
    {
        Alpha = Check.NonNegative(alpha, nameof(alpha), "The TCKD weight α");
        Beta = Check.NonNegative(beta, nameof(beta), "The NCKD weight β");
        Temperature = Check.Temperature(temperature, nameof(temperature));
        if (warmupEpochs < 0) throw new ArgumentOutOfRangeException(nameof(warmupEpochs), warmupEpochs, "Warm-up epochs must be ≥ 0 (0 disables the warm-up).");
        WarmupEpochs = warmupEpochs;
        CeWeight = Check.NonNegative(ceWeight, nameof(ceWeight), "The cross-entropy weight");
        Warmup = WeightSchedule.LinearWarmup(1.0, warmupEpochs);
    }

    /// <summary>Weight α of the target-class term.</summary>
    public double Alpha { get; }

    /// <summary>Weight β of the non-target term.</summary>
    public double Beta { get; }

    /// <summary>Temperature T.</summary>
    public double Temperature { get; }

    /// <summary>Warm-up length in epochs.</summary>
    public int WarmupEpochs { get; }

    /// <summary>Weight of the cross-entropy term.</summary>
    public double CeWeight { get; }

    /// <summary>The warm-up schedule applied to TCKD and NCKD.</summary>
    public WeightSchedule Warmup { get; }

    /// <inheritdoc />
    public override string Name => $"dkd(a={Alpha:G3},b={Beta:G3},T={Temperature:G3})";

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        RequireTeacherShape(context);
        RequireClasses(context, 2);
        double t = Temperature;
        var target = context.TargetsOrTeacherArgmax();
        var zs = context.StudentLogits / t;
        var zt = context.TeacherLogProbabilities(t);   // teacher logits at T, up to a per-row constant

        var ntS = NonTargetColumns(zs, target);
        var ntT = NonTargetColumns(zt, target);
        var binS = nn.functional.log_softmax(stack([TargetColumn(zs, target), ntS.logsumexp(1)], 1), 1);
        var binT = nn.functional.log_softmax(stack([TargetColumn(zt, target), ntT.logsumexp(1)], 1), 1);
        var tckd = KlPerRow(binT, binS) * (t * t);
        var nckd = KlPerRow(nn.functional.log_softmax(ntT, 1), nn.functional.log_softmax(ntS, 1)) * (t * t);

        double w = Warmup.At(context.Epoch, context.TotalEpochs, context.Step);
        var ce = MaskedMean(CrossEntropyPerRow(context), context.LabelMask);
        return new LossTerms()
            .Add("ce", ce * CeWeight)
            .Add("tckd", tckd.mean() * (w * Alpha))
            .Add("nckd", nckd.mean() * (w * Beta));
    }
}
