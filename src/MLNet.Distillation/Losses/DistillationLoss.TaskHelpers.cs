using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

// Helpers shared by the binary, regression and ranking losses: checked access to the real-valued targets and to the
// teachers, and the per-element distances of the regression losses.
public abstract partial class DistillationLoss
{
    /// <summary>
    /// <see cref="LossContext.Targets"/>, checked to have the student's shape [B, C]; a clear error when the trainer gave
    /// none (a multiclass batch) or a different shape.
    /// </summary>
    protected Tensor RequireTargets(LossContext context)
    {
        var targets = context.Targets ?? throw new ArgumentException(
            $"{Name} is a {string.Join("/", Tasks)} loss and needs LossContext.Targets (the real-valued labels), but the batch has none; " +
            "multiclass students take a multiclass loss such as DistillationLoss.Hinton().", nameof(context));
        RequireSameShape(context, targets, "targets");
        return targets;
    }

    /// <summary>Throws a clear error unless <paramref name="other"/> has the student outputs' shape [B, C].</summary>
    protected void RequireSameShape(LossContext context, Tensor other, string what)
    {
        var s = context.StudentLogits;
        if (s.ndim != 2)
            throw new ArgumentException($"{Name}: the student outputs must be a matrix [rows, outputs], but have shape [{string.Join(", ", s.shape)}].", nameof(context));
        if (other.ndim != 2 || other.shape[0] != s.shape[0] || other.shape[1] != s.shape[1])
            throw new ArgumentException(
                $"{Name}: the {what} have shape [{string.Join(", ", other.shape)}] but the student outputs have shape " +
                $"[{string.Join(", ", s.shape)}]; give one {what} value per student output and row.", nameof(context));
    }

    /// <summary>The teacher, checked to have the student outputs' shape and to hold logits or values (not probabilities of classes).</summary>
    protected internal Tensor RequireTaskTeacher(LossContext context)
    {
        var teacher = context.RequireTeacher();
        RequireSameShape(context, teacher, "teacher outputs");
        if (context.Task == DistillationTask.BinaryClassification && context.TeacherKind != TeacherOutputKind.Logits)
            throw new ArgumentException(
                $"{Name}: a binary teacher must reach the loss as one logit per row (TeacherKind Logits), but TeacherKind is " +
                $"{context.TeacherKind}; the trainer converts probability teachers to logits.", nameof(context));
        return teacher;
    }

    /// <summary>Per-row mean over the k outputs of an element-wise [B, k] tensor: [B, k] → [B].</summary>
    protected static Tensor RowMean(Tensor elementwise) => elementwise.mean([1]);
}

/// <summary>Element-wise distances of the regression losses.</summary>
internal static class Distance
{
    /// <summary>d(a, b) element-wise: squared error, Huber with threshold δ (½x² for |x| ≤ δ, δ(|x| − ½δ) beyond), or absolute error.</summary>
    public static Tensor Elementwise(RegressionDistance distance, Tensor a, Tensor b, double huberDelta) => distance switch
    {
        RegressionDistance.Mse => (a - b).square(),
        RegressionDistance.Huber => Huber(a - b, huberDelta),
        RegressionDistance.L1 => (a - b).abs(),
        _ => throw new ArgumentOutOfRangeException(nameof(distance), distance, "Unknown regression distance."),
    };

    /// <summary>The name a term gets for this distance (e.g. "mse").</summary>
    public static string TermName(RegressionDistance distance) => distance switch
    {
        RegressionDistance.Mse => "mse",
        RegressionDistance.Huber => "huber",
        RegressionDistance.L1 => "l1",
        _ => throw new ArgumentOutOfRangeException(nameof(distance), distance, "Unknown regression distance."),
    };

    private static Tensor Huber(Tensor x, double delta)
    {
        var a = x.abs();
        // min(|x|, δ) gives ½x² inside and continues linearly outside: q·(|x| − ½q) with q = min(|x|, δ).
        var q = a.clamp_max(delta);
        return q * (a - q * 0.5);
    }

    /// <summary>Checks a distance value and its Huber threshold.</summary>
    public static void Check(RegressionDistance distance, double huberDelta, string distanceName, string deltaName)
    {
        if (!Enum.IsDefined(distance))
            throw new ArgumentOutOfRangeException(distanceName, distance, "The distance must be RegressionDistance.Mse, Huber or L1.");
        Losses.Check.Positive(huberDelta, deltaName, "The Huber threshold δ");
    }
}
