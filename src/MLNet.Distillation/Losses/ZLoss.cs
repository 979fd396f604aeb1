using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// The Z-loss (de Brébisson and Vincent 2016, "The Z-loss: a shift and scale invariant classification loss belonging to
/// the Spherical Family"). The outputs are z-normalised per row, <c>z_k = (s_k − μ)/σ</c> (population mean and standard
/// deviation over the K classes), and the loss of class c is <c>ℓ_c = softplus(a·(b − z_c))/a</c>:
/// <code>
/// Labels  target: L = ℓ_y                                   (a student loss)
/// Teacher target: L = Σ_c p_t,c · ℓ_c,  p_t at temperature T  (the expected Z-loss under the teacher: a distillation target)
/// </code>
/// Invariant to adding a constant to, or multiplying by a positive constant, the student's logits, so it constrains only
/// the ranking-relevant geometry of the outputs. Term: <c>zloss</c>.
/// </summary>
/// <remarks>
/// The paper tunes (a, b) per task and gives no universal values; the defaults a = 1, b = 0 are those of the authors'
/// public example (pascal20100/factored_output_layer), where the loss is <c>softplus(−z_y)</c>. Since |z| ≤ √(K−1), b
/// near √(K−1) keeps pushing the target up longer. σ is floored at 1e-12 so that constant rows give z = 0 rather than
/// NaN. Missing labels: with <see cref="TargetSource.Labels"/> rows without a label are skipped; with
/// <see cref="TargetSource.Teacher"/> every row is used.
/// </remarks>
public sealed class ZLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="a">Sharpness a &gt; 0 of the softplus (default 1).</param>
    /// <param name="b">Location b of the softplus in z units (default 0).</param>
    /// <param name="target">Labels (student loss, default) or Teacher (distillation target).</param>
    /// <param name="temperature">Teacher temperature T &gt; 0 for the Teacher target (default 1).</param>
    public ZLoss(double a = 1.0, double b = 0.0, TargetSource target = TargetSource.Labels, double temperature = 1.0)
    {
        A = Check.Positive(a, nameof(a), "The Z-loss sharpness a");
        B = Check.Finite(b, nameof(b), "The Z-loss location b");
        Target = target;
        Temperature = Check.Temperature(temperature, nameof(temperature));
    }

    /// <summary>Sharpness a.</summary>
    public double A { get; }

    /// <summary>Location b.</summary>
    public double B { get; }

    /// <summary>Target source.</summary>
    public TargetSource Target { get; }

    /// <summary>Teacher temperature (Teacher target only).</summary>
    public double Temperature { get; }

    /// <inheritdoc />
    public override string Name => Target == TargetSource.Labels ? $"zloss(a={A:G3},b={B:G3})" : $"zloss-kd(a={A:G3},b={B:G3},T={Temperature:G3})";

    /// <inheritdoc />
    public override bool RequiresTeacher => Target == TargetSource.Teacher;

    /// <summary>Z-normalised scores of each row, (s − mean)/std with the population std floored at 1e-12.</summary>
    public static Tensor ZScores(Tensor logits)
    {
        var centered = logits - logits.mean([1L], keepdim: true);
        var variance = centered.square().mean([1L], keepdim: true);
        return centered / variance.clamp_min(1e-24).sqrt();
    }

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        RequireClasses(context, 2);
        var perClass = nn.functional.softplus((B - ZScores(context.StudentLogits)) * A) / A;
        if (Target == TargetSource.Labels)
        {
            var rows = TargetColumn(perClass, context.Labels.clamp_min(0));
            return new LossTerms().Add("zloss", MaskedMean(rows, context.LabelMask));
        }
        RequireTeacherShape(context);
        var p = context.TeacherProbabilities(Temperature);
        return new LossTerms().Add("zloss", (p * perClass).sum(1).mean());
    }
}
