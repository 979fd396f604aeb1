using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Adaptive LDR-KL, ALDR-KL (Zhu, Ying and Yang 2023, "Label Distributionally Robust Losses for Multi-class
/// Classification: Consistency, Robustness and Adaptivity", ICML): LDR-KL (<see cref="LdrKlLoss"/>) with a per-instance
/// temperature λ_i that is itself chosen adversarially, regularised towards λ₀:
/// <code>
/// L_i = max_λ  λ·log((1/K)·Σ_k exp(δ_ik/λ)) − (α·log K / (2λ₀))·(λ − λ₀)²
/// λ_i = max(10⁻³λ₀, λ₀ − λ₀·KL(p*_i ‖ 1/K) / (α·log K)),   p*_i = softmax(δ_i/λ₀)
/// </code>
/// An instance whose worst-case label distribution is far from uniform (a confident violation, often a noisy label) gets
/// a smaller λ_i and so a loss closer to the hinge-like maximum; an ambiguous one keeps λ₀. Term: <c>aldr</c>.
/// </summary>
/// <remarks>
/// λ_i is the closed-form optimum from one step started at λ₀ on the current batch, treated as a constant for the gradient
/// (as in the authors' code, which instead keeps each sample's λ from its previous visit; rows here carry no identity).
/// The p* of that step uses the margin-shifted δ (the theory's worst case), where the authors' code uses the scores alone.
/// α &gt; 1 keeps λ_i positive. Scores as in <see cref="LdrKlLoss"/>. Defaults: λ₀ = 1, α = 2, c = 1. A student loss (no
/// teacher); rows without a label are skipped.
/// </remarks>
public sealed class AldrKlLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">Reference temperature λ₀ &gt; 0 (default 1).</param>
    /// <param name="alpha">Strength α &gt; 1 of the pull of λ_i towards λ₀ (default 2).</param>
    /// <param name="margin">Margin c ≥ 0 (default 1).</param>
    /// <param name="normalizeScores">Use softplus scores divided by their row mean (default true), or the raw logits.</param>
    public AldrKlLoss(double temperature = 1.0, double alpha = 2.0, double margin = 1.0, bool normalizeScores = true)
    {
        Temperature = Check.Temperature(temperature, nameof(temperature));
        if (!(alpha > 1) || double.IsInfinity(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "ALDR-KL's α must be a finite number > 1 (it keeps the adaptive temperature positive; the default is 2).");
        Alpha = alpha;
        Margin = Check.NonNegative(margin, nameof(margin), "The margin c");
        NormalizeScores = normalizeScores;
    }

    /// <summary>Reference temperature λ₀.</summary>
    public double Temperature { get; }

    /// <summary>Strength α of the regulariser on λ.</summary>
    public double Alpha { get; }

    /// <summary>Margin c.</summary>
    public double Margin { get; }

    /// <summary>Whether scores are softplus(s)/mean(softplus(s)).</summary>
    public bool NormalizeScores { get; }

    /// <inheritdoc />
    public override string Name => $"aldr-kl(l={Temperature:G3},a={Alpha:G3},c={Margin:G3})";

    /// <inheritdoc />
    public override bool RequiresTeacher => false;

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        RequireClasses(context, 2);
        double lambda0 = Temperature, logK = Math.Log(context.NumClasses);
        var delta = LdrKlLoss.Violations(context.StudentLogits, context.Labels.clamp_min(0), Margin, NormalizeScores);
        Tensor lambdas;
        using (no_grad())
        {
            var logP = nn.functional.log_softmax(delta / lambda0, 1);
            var klUniform = (logP.exp() * (logP + logK)).sum(1);
            lambdas = (lambda0 - klUniform * (lambda0 / (Alpha * logK))).clamp_min(1e-3 * lambda0);
        }
        var rows = ((delta / lambdas.unsqueeze(1)).logsumexp(1) - logK) * lambdas
                   - (lambdas - lambda0).square() * (Alpha * logK / (2 * lambda0));
        return new LossTerms().Add("aldr", MaskedMean(rows, context.LabelMask));
    }
}
