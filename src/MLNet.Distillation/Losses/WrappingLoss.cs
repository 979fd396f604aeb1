using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Base of losses that wrap another loss (a weight, multi-sample dropout): forwards everything but <see cref="DistillationLoss.Compute"/>
/// and <see cref="DistillationLoss.Name"/> to <see cref="Inner"/>, and disposes it with itself.
/// </summary>
public abstract class WrappingLoss : DistillationLoss
{
    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The wrapped loss.</param>
    protected WrappingLoss(DistillationLoss inner)
        => Inner = inner ?? throw new ArgumentNullException(nameof(inner), "Pass the loss to wrap, e.g. DistillationLoss.Hinton().");

    /// <summary>The wrapped loss.</summary>
    public DistillationLoss Inner { get; }

    /// <inheritdoc />
    public override bool RequiresTeacher => Inner.RequiresTeacher;

    /// <inheritdoc />
    public override bool UsesTeacher => Inner.UsesTeacher;

    /// <inheritdoc />
    public override IReadOnlyCollection<DistillationTask> Tasks => Inner.Tasks;

    /// <inheritdoc />
    public override bool UsesAllTeachers => Inner.UsesAllTeachers;

    /// <inheritdoc />
    public override bool PredictsThroughSigmoid => Inner.PredictsThroughSigmoid;

    /// <inheritdoc />
    public override IEnumerable<StudentHead> ExtraHeads => Inner.ExtraHeads;

    /// <inheritdoc />
    public override IEnumerable<string> TeacherColumns => Inner.TeacherColumns;

    /// <inheritdoc />
    public override void Bind(LossBinding binding) => Inner.Bind(binding);

    /// <inheritdoc />
    public override IEnumerable<TorchSharp.Modules.Parameter> Parameters() => Inner.Parameters();

    /// <inheritdoc />
    public override void To(Device device) => Inner.To(device);

    /// <inheritdoc />
    public override bool NeedsHeldOutData => Inner.NeedsHeldOutData;

    /// <inheritdoc />
    public override void LearnFromHeldOut(LossContext context) => Inner.LearnFromHeldOut(context);

    internal override string? CheckpointRefusal => Inner.CheckpointRefusal;

    internal override void SaveState(IDictionary<string, Tensor> state, string prefix) => Inner.SaveState(state, prefix);

    internal override void LoadState(IReadOnlyDictionary<string, Tensor> state, string prefix) => Inner.LoadState(state, prefix);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) Inner.Dispose();
    }
}
