using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Label-distributionally robust loss with a KL regulariser, LDR-KL (Zhu, Ying and Yang 2023, "Label Distributionally
/// Robust Losses for Multi-class Classification: Consistency, Robustness and Adaptivity", ICML; the authors' code is in
/// LibAUC). The loss takes the worst case over label distributions p, penalised by their KL divergence from uniform:
/// <code>
/// δ_k = f_k − f_y + c·[k ≠ y]                   (f: scores, c: margin)
/// L   = max_p Σ_k p_k δ_k − λ·KL(p ‖ 1/K) = λ·log( (1/K)·Σ_k exp(δ_k/λ) )
/// </code>
/// Large λ tends to the mean margin violation (robust to label noise, like MAE); small λ tends to the largest violation
/// (a multi-class hinge, like Crammer–Singer). Term: <c>ldr</c>.
/// </summary>
/// <remarks>
/// Scores: with <see cref="NormalizeScores"/> (default) f = softplus(s)/mean_k softplus(s), the positive, scale-normalised
/// scores of the authors' code, which keep δ bounded; otherwise f = s. Defaults: λ = 1, c = 1. A student loss (no
/// teacher); rows without a label are skipped.
/// </remarks>
public sealed class LdrKlLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">The DRO temperature λ &gt; 0 (default 1).</param>
    /// <param name="margin">Margin c ≥ 0 added to every non-target class (default 1).</param>
    /// <param name="normalizeScores">Use softplus scores divided by their row mean (default true), or the raw logits.</param>
    public LdrKlLoss(double temperature = 1.0, double margin = 1.0, bool normalizeScores = true)
    {
        Temperature = Check.Temperature(temperature, nameof(temperature));
        Margin = Check.NonNegative(margin, nameof(margin), "The margin c");
        NormalizeScores = normalizeScores;
    }

    /// <summary>The DRO temperature λ.</summary>
    public double Temperature { get; }

    /// <summary>Margin c.</summary>
    public double Margin { get; }

    /// <summary>Whether scores are softplus(s)/mean(softplus(s)).</summary>
    public bool NormalizeScores { get; }

    /// <inheritdoc />
    public override string Name => $"ldr-kl(l={Temperature:G3},c={Margin:G3})";

    /// <inheritdoc />
    public override bool RequiresTeacher => false;

    /// <summary>δ_k = f_k − f_y + c·[k ≠ y] for every row (f as configured).</summary>
    internal static Tensor Violations(Tensor logits, Tensor labels, double margin, bool normalize)
    {
        var f = logits;
        if (normalize)
        {
            var sp = nn.functional.softplus(logits);
            f = sp / sp.mean([1L], keepdim: true).clamp_min(1e-12);
        }
        var oneHot = nn.functional.one_hot(labels, logits.shape[1]).to_type(logits.dtype);
        return f - TargetColumn(f, labels).unsqueeze(1) + (1 - oneHot) * margin;
    }

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        RequireClasses(context, 2);
        double lambda = Temperature;
        var delta = Violations(context.StudentLogits, context.Labels.clamp_min(0), Margin, NormalizeScores);
        var rows = ((delta / lambda).logsumexp(1) - Math.Log(context.NumClasses)) * lambda;
        return new LossTerms().Add("ldr", MaskedMean(rows, context.LabelMask));
    }
}
