using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

public abstract partial class DistillationLoss
{
    /// <summary>Labelled rows as 0/1 in the dtype of <paramref name="like"/> ([B]).</summary>
    protected static Tensor LabelledRows(LossContext context, Tensor like) => context.LabelMask.to_type(like.dtype);

    /// <summary>Column <paramref name="target"/>[i] of row i of <paramref name="x"/>: [B, K] → [B].</summary>
    protected static Tensor TargetColumn(Tensor x, Tensor target) => x.gather(1, target.unsqueeze(1)).squeeze(1);

    /// <summary>
    /// The K−1 non-target columns of each row, in class order: [B, K] → [B, K−1]. Gathering them (rather than masking the
    /// target with a large negative number) keeps every value finite whatever the logits' scale.
    /// </summary>
    protected static Tensor NonTargetColumns(Tensor x, Tensor target)
    {
        long k = x.shape[1];
        var j = arange(k - 1, dtype: ScalarType.Int64, device: x.device).unsqueeze(0);
        var index = j + j.ge(target.unsqueeze(1)).to_type(ScalarType.Int64);
        return x.gather(1, index);
    }

    /// <summary>Per-row cross-entropy with the hard labels; rows without a label get the value for class 0 (mask them out).</summary>
    protected static Tensor CrossEntropyPerRow(LossContext context)
        => nn.functional.cross_entropy(context.StudentLogits, context.Labels.clamp_min(0), reduction: nn.Reduction.None);

    /// <summary>
    /// The teacher as logits for methods that compare raw scores (MSE, dual-head): the logits themselves, or log p for a
    /// probability teacher (logits of a softmax are only defined up to a per-row constant, and log p is one choice).
    /// </summary>
    protected static Tensor TeacherScores(LossContext context)
        => context.TeacherKind == TeacherOutputKind.Logits ? context.RequireTeacher() : context.TeacherLogProbabilities(1.0);

    /// <summary>Element-wise log(exp(a) + exp(b)), stable for any magnitude.</summary>
    protected static Tensor LogAddExp(Tensor a, Tensor b) => stack([a, b], 0).logsumexp(0);

    /// <summary>Throws a clear error when the batch has fewer classes than a method needs.</summary>
    protected void RequireClasses(LossContext context, int minimum)
    {
        if (context.NumClasses < minimum)
            throw new ArgumentException(
                $"{Name} needs at least {minimum} classes, but the student logits have {context.NumClasses} columns.", nameof(context));
    }

    /// <summary>Throws a clear error when the teacher tensor's shape differs from the student logits'.</summary>
    protected void RequireTeacherShape(LossContext context)
    {
        var t = context.RequireTeacher();
        if (t.ndim != 2 || t.shape[0] != context.StudentLogits.shape[0] || t.shape[1] != context.StudentLogits.shape[1])
            throw new ArgumentException(
                $"{Name}: the teacher outputs have shape [{string.Join(", ", t.shape)}] but the student logits have shape " +
                $"[{string.Join(", ", context.StudentLogits.shape)}]; a logit-level loss needs one teacher score per class and row.",
                nameof(context));
    }
}

/// <summary>Argument checks shared by the loss constructors, with messages that say which value is wrong and what to use.</summary>
internal static class Check
{
    public static double Temperature(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, "The temperature must be a finite positive number (typical values 1–8).");
        return value;
    }

    public static double NonNegative(double value, string name, string what)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{what} must be a finite number ≥ 0.");
        return value;
    }

    public static double Positive(double value, string name, string what)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{what} must be a finite number > 0.");
        return value;
    }

    public static double Finite(double value, string name, string what)
    {
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"{what} must be a finite number.");
        return value;
    }

    public static double UnitInterval(double value, string name, string what)
    {
        if (!(value >= 0 && value <= 1))
            throw new ArgumentOutOfRangeException(name, value, $"{what} must lie in [0, 1].");
        return value;
    }

    public static double OpenUnit(double value, string name, string what)
    {
        if (!(value > 0 && value < 1))
            throw new ArgumentOutOfRangeException(name, value, $"{what} must lie strictly between 0 and 1.");
        return value;
    }
}
