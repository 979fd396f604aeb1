using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Mean squared error between student and teacher logits (Kim et al. 2021, "Comparing Kullback-Leibler Divergence and
/// Mean Squared Error Loss in Knowledge Distillation"): <c>L = mean over rows and classes of (s − t)²</c>, the limit of
/// Hinton KD as T → ∞ that the paper finds to distil better than KL. Term: <c>mse</c>.
/// </summary>
/// <remarks>
/// Uses no labels: every row (labelled or not) is matched to the teacher. A probability teacher has no logits, only
/// log-probabilities, which are logits up to a per-row constant; for such teachers (and when <see cref="Centered"/> is
/// set) both sides are centred per row (each row minus its mean) before the squared error, which makes the loss blind to
/// that constant. A one-hot probability teacher becomes log(1e-30) ≈ −69 on its zero classes, so MSE then pushes hard;
/// prefer a KL-family loss for such teachers.
/// </remarks>
public sealed class LogitMseLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="centered">Subtract each row's mean from student and teacher logits first (default false: the paper's raw MSE).</param>
    public LogitMseLoss(bool centered = false) => Centered = centered;

    /// <summary>Whether rows are centred before the squared error (always done for probability teachers).</summary>
    public bool Centered { get; }

    /// <inheritdoc />
    public override string Name => Centered ? "mse(centered)" : "mse";

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        RequireTeacherShape(context);
        var s = context.StudentLogits;
        var t = TeacherScores(context);
        if (Centered || context.TeacherKind == TeacherOutputKind.Probabilities)
        {
            s = s - s.mean([1L], keepdim: true);
            t = t - t.mean([1L], keepdim: true);
        }
        return new LossTerms().Add("mse", (s - t).square().mean());
    }
}
