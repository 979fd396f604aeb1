namespace MLNet.Distillation.Losses;

/// <summary>
/// Trains on the labels alone: hides the teacher from a loss that learns from labels when it has no teacher — the
/// binary, regression and ranking defaults (<see cref="DistillationLoss.BinaryKd"/>, <see cref="DistillationLoss.RegressionKd"/>,
/// <see cref="DistillationLoss.RankingKd"/>) — so that rows without a label are skipped, as in a fit without a teacher
/// column. It is the from-scratch baseline of a search over a task's losses (<c>AutoDistillCandidate.ScratchFor</c>).
/// </summary>
public sealed class LabelsOnlyLoss : WrappingLoss
{
    /// <summary>Wraps <paramref name="inner"/>, which must not require a teacher.</summary>
    /// <param name="inner">A loss that learns from the labels when it has no teacher.</param>
    public LabelsOnlyLoss(DistillationLoss inner) : base(inner)
    {
        if (inner.RequiresTeacher)
            throw new ArgumentException($"Loss '{inner.Name}' needs a teacher, so it cannot learn from the labels alone. Wrap a loss that falls back to the labels, such as DistillationLoss.BinaryKd().", nameof(inner));
    }

    /// <inheritdoc />
    public override string Name => $"labels-only({Inner.Name})";

    /// <summary>False: the teacher is hidden.</summary>
    public override bool UsesTeacher => false;

    /// <inheritdoc />
    public override bool UsesAllTeachers => false;

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context) => Inner.Compute(new LossContext
    {
        StudentLogits = context.StudentLogits, Task = context.Task, Targets = context.Targets, GroupIds = context.GroupIds, Labels = context.Labels,
        Features = context.Features, Penultimate = context.Penultimate, MainHead = context.MainHead, Heads = context.Heads, StudentLayers = context.StudentLayers,
        Epoch = context.Epoch, TotalEpochs = context.TotalEpochs, Step = context.Step, Training = context.Training,
    });
}
