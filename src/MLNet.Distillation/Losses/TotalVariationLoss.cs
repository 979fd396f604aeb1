using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Total variation distance <c>TVD = ½·Σ_k |p_t,k − q_s,k|</c> between the teacher's and the student's distributions at
/// temperature T, averaged over rows (used as a distillation objective, e.g. Wen et al. 2023, "f-Divergence Minimization
/// for Sequence-Level Knowledge Distillation"). Bounded in [0, 1] and symmetric. Term: <c>tvd</c>.
/// </summary>
/// <remarks>Needs no labels. Not multiplied by T² (its gradient does not shrink as 1/T²).</remarks>
public sealed class TotalVariationLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">Softening temperature T &gt; 0 (default 1).</param>
    public TotalVariationLoss(double temperature = 1.0) => Temperature = Check.Temperature(temperature, nameof(temperature));

    /// <summary>Temperature T.</summary>
    public double Temperature { get; }

    /// <inheritdoc />
    public override string Name => $"tvd(T={Temperature:G3})";

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        RequireTeacherShape(context);
        var p = context.TeacherProbabilities(Temperature);
        var q = nn.functional.softmax(context.StudentLogits / Temperature, 1);
        return new LossTerms().Add("tvd", (p - q).abs().sum(1).mean() * 0.5);
    }
}
