using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>An extra linear head a loss asks the student to grow on its penultimate layer (e.g. dual-head KD).</summary>
/// <param name="Name">Key of the head's output in <see cref="LossContext.Heads"/>.</param>
/// <param name="Outputs">Output width; <c>0</c> means "number of classes".</param>
public sealed record StudentHead(string Name, int Outputs = 0);

/// <summary>
/// A distillation loss: maps a batch (<see cref="LossContext"/>) to named, weighted terms (<see cref="LossTerms"/>).
/// Losses compose: <c>a + b</c> adds their terms, <c>0.5 * a</c> scales one, and a weight may follow a
/// <see cref="WeightSchedule"/>. Use the static factories (<see cref="Hinton"/>, <see cref="CrossEntropy"/>, …) for the
/// built-in methods, or derive from this class for your own and pass it to <c>StudentOptions.Loss</c>.
/// A loss that owns native state (e.g. TGeo-KD's fusion network) releases it in <see cref="Dispose()"/>; sums and
/// weighted losses dispose their parts.
/// </summary>
public abstract partial class DistillationLoss : IDisposable
{
    /// <summary>Short name used in logs and leaderboards.</summary>
    public abstract string Name { get; }

    /// <summary>Whether the loss reads teacher outputs (false for cross-entropy, GCE, etc.).</summary>
    public virtual bool RequiresTeacher => true;

    /// <summary>
    /// Whether the loss learns from teacher outputs when the trainer has them: true for every loss that requires them, and
    /// for losses that work with or without a teacher (the binary, regression and ranking defaults learn from the labels
    /// alone without one); false for label-only losses, which a fit on rows without labels refuses.
    /// </summary>
    public virtual bool UsesTeacher => RequiresTeacher;

    /// <summary>
    /// The tasks this loss is made for (default: multiclass classification only); a trainer refuses a loss for any other
    /// task, naming the losses that fit.
    /// </summary>
    public virtual IReadOnlyCollection<DistillationTask> Tasks => [DistillationTask.MulticlassClassification];

    /// <summary>
    /// With several teachers kept separate: false (default) computes the loss once per teacher and sums the terms with the
    /// teachers' weights; true computes it once, with every teacher in <see cref="LossContext.Teachers"/> (for losses that
    /// give the teachers different roles, such as the tolerant/tough pair).
    /// </summary>
    public virtual bool UsesAllTeachers => false;

    /// <summary>
    /// Regression only: whether the student's output goes through a sigmoid to predict a value in [0, 1] (true, for losses
    /// such as the Bernoulli KL whose targets lie in [0, 1]; targets and teacher are then given raw, not standardised), or
    /// is the prediction itself (false, default; targets and teacher are standardised for training and the exported
    /// student undoes it).
    /// </summary>
    public virtual bool PredictsThroughSigmoid => false;

    /// <summary>Extra heads this loss needs on the student; prediction always uses the main head.</summary>
    public virtual IEnumerable<StudentHead> ExtraHeads => [];

    /// <summary>
    /// Teacher columns besides the teacher's outputs that this loss reads — e.g. an embedding column written by
    /// <c>Transforms.Distill</c> — by column name. The trainer reads them with the rest of the rows (fixed-size float
    /// vectors) and hands them over in <see cref="LossContext.TeacherExtras"/>.
    /// </summary>
    public virtual IEnumerable<string> TeacherColumns => [];

    /// <summary>
    /// Called by the trainer once before training, with the sizes the loss may need to create its own trainable parts
    /// (e.g. a projection from a student layer to a teacher embedding) — which then go to <see cref="Parameters"/> and are
    /// optimised with the student, and never reach the exported student. Default: nothing.
    /// </summary>
    /// <param name="binding">The student's layer widths, the extra teacher columns' widths, the outputs, the task and the seed.</param>
    public virtual void Bind(LossBinding binding) { }

    /// <summary>Trainable parameters the loss owns (e.g. a learned fusion network); the trainer optimises them with the student.</summary>
    public virtual IEnumerable<TorchSharp.Modules.Parameter> Parameters() => [];

    /// <summary>Moves owned parameters to a device; called by the trainer before training.</summary>
    public virtual void To(Device device) { }

    /// <summary>Whether the loss learns something of its own from held-out rows (e.g. TGeo-KD's fusion-ratio network).</summary>
    public virtual bool NeedsHeldOutData => false;

    /// <summary>
    /// Called by the trainer after each epoch with batches of held-out rows (the validation set), the student in evaluation
    /// mode and without gradient; a loss with <see cref="NeedsHeldOutData"/> updates its own parameters here.
    /// </summary>
    public virtual void LearnFromHeldOut(LossContext context) { }

    /// <summary>
    /// Whether the loss multiplies each row's loss by <see cref="LossContext.RowWeights"/> when the trainer sets them (a data
    /// strategy such as <c>DataStrategy.OutOfDomainWeighting</c>); a fit that weights rows refuses a loss that does not.
    /// </summary>
    public virtual bool SupportsRowWeights => false;

    /// <summary>Computes the loss terms for one batch.</summary>
    public abstract LossTerms Compute(LossContext context);

    /// <summary>Adds the terms of two losses.</summary>
    public static DistillationLoss operator +(DistillationLoss left, DistillationLoss right) => new CompositeLoss([left, right]);

    /// <summary>Scales every term of a loss by a constant weight.</summary>
    public static DistillationLoss operator *(double weight, DistillationLoss loss) => new WeightedLoss(loss, weight);

    /// <summary>Scales every term of a loss by a constant weight.</summary>
    public static DistillationLoss operator *(DistillationLoss loss, double weight) => new WeightedLoss(loss, weight);

    /// <summary>Scales every term of a loss by a weight that follows a schedule (e.g. <see cref="WeightSchedule.LinearWarmup"/>).</summary>
    public DistillationLoss WithWeight(WeightSchedule weight) => new WeightedLoss(this, weight);

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Releases native state the loss owns (modules, optimizers, cached tensors); most losses own none.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases owned state; override in a loss that owns modules or tensors.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing) { }

    /// <summary>Hinton et al. 2015: <c>α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1−α)·CE(s, y)</c>; unlabelled rows use the KD term alone.</summary>
    /// <param name="temperature">Softening temperature T (default 4).</param>
    /// <param name="alpha">Weight α of the distillation term (default 0.9).</param>
    public static HintonLoss Hinton(double temperature = 4.0, double alpha = 0.9) => new(temperature, alpha);

    /// <summary>Cross-entropy on the hard labels (optionally label-smoothed); the "from scratch" loss. Rows without a label are skipped.</summary>
    /// <param name="labelSmoothing">Label smoothing ε in [0, 1) (default 0).</param>
    public static CrossEntropyLoss CrossEntropy(double labelSmoothing = 0.0) => new(labelSmoothing);

    // ---- helpers shared by implementations -------------------------------------------------

    /// <summary>Mean of a per-row loss over the rows selected by a boolean mask; zero (with gradient) when none is selected.</summary>
    protected static Tensor MaskedMean(Tensor perRow, Tensor mask)
    {
        var m = mask.to_type(perRow.dtype);
        return (perRow * m).sum() / m.sum().clamp_min(1.0);
    }

    /// <summary>Per-row KL(p ‖ q) from log-probabilities, safe where p has zeros.</summary>
    protected static Tensor KlPerRow(Tensor logP, Tensor logQ) => (logP.exp() * (logP - logQ)).sum(1);
}

/// <summary>The sum of several losses; terms keep their names.</summary>
public sealed class CompositeLoss : DistillationLoss
{
    private readonly DistillationLoss[] _parts;

    /// <summary>Creates the sum of <paramref name="parts"/> (nested sums are flattened).</summary>
    public CompositeLoss(IEnumerable<DistillationLoss> parts)
        => _parts = parts.SelectMany(p => p is CompositeLoss c ? c._parts : [p]).ToArray();

    /// <summary>The summed losses.</summary>
    public IReadOnlyList<DistillationLoss> Parts => _parts;

    /// <inheritdoc />
    public override string Name => string.Join(" + ", _parts.Select(p => p.Name));

    /// <inheritdoc />
    public override bool RequiresTeacher => _parts.Any(p => p.RequiresTeacher);

    /// <inheritdoc />
    public override bool UsesTeacher => _parts.Any(p => p.UsesTeacher);

    /// <inheritdoc />
    public override IReadOnlyCollection<DistillationTask> Tasks
        => _parts.Select(p => (IEnumerable<DistillationTask>)p.Tasks).Aggregate((a, b) => a.Intersect(b)).ToArray();

    /// <inheritdoc />
    public override bool UsesAllTeachers => _parts.Any(p => p.UsesAllTeachers);

    /// <inheritdoc />
    public override bool SupportsRowWeights => _parts.All(p => p.SupportsRowWeights);

    /// <inheritdoc />
    public override bool PredictsThroughSigmoid => _parts.Any(p => p.PredictsThroughSigmoid);

    /// <inheritdoc />
    public override IEnumerable<StudentHead> ExtraHeads => _parts.SelectMany(p => p.ExtraHeads).DistinctBy(h => h.Name);

    /// <inheritdoc />
    public override IEnumerable<string> TeacherColumns => _parts.SelectMany(p => p.TeacherColumns).Distinct();

    /// <inheritdoc />
    public override void Bind(LossBinding binding) { foreach (var p in _parts) p.Bind(binding); }

    /// <inheritdoc />
    public override IEnumerable<TorchSharp.Modules.Parameter> Parameters() => _parts.SelectMany(p => p.Parameters());

    /// <inheritdoc />
    public override void To(Device device) { foreach (var p in _parts) p.To(device); }

    /// <inheritdoc />
    public override bool NeedsHeldOutData => _parts.Any(p => p.NeedsHeldOutData);

    /// <inheritdoc />
    public override void LearnFromHeldOut(LossContext context) { foreach (var p in _parts) p.LearnFromHeldOut(context); }

    internal override string? CheckpointRefusal => _parts.Select(p => p.CheckpointRefusal).FirstOrDefault(r => r is not null);

    internal override void SaveState(IDictionary<string, Tensor> state, string prefix)
    {
        for (int i = 0; i < _parts.Length; i++) _parts[i].SaveState(state, $"{prefix}{i}.");
    }

    internal override void LoadState(IReadOnlyDictionary<string, Tensor> state, string prefix)
    {
        for (int i = 0; i < _parts.Length; i++) _parts[i].LoadState(state, $"{prefix}{i}.");
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) foreach (var p in _parts) p.Dispose();
    }

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        var terms = new LossTerms();
        foreach (var part in _parts)
            foreach (var t in part.Compute(context).Terms) terms.Add(t.Key, t.Value);
        return terms;
    }
}

/// <summary>A loss whose terms are all multiplied by a (possibly scheduled) weight.</summary>
public sealed class WeightedLoss : WrappingLoss
{
    /// <summary>Creates <paramref name="weight"/> × <paramref name="inner"/>.</summary>
    public WeightedLoss(DistillationLoss inner, WeightSchedule weight) : base(inner) { Weight = weight; }

    /// <summary>The weight.</summary>
    public WeightSchedule Weight { get; }

    /// <inheritdoc />
    public override string Name => $"{Weight}*{Inner.Name}";

    /// <inheritdoc />
    public override bool SupportsRowWeights => Inner.SupportsRowWeights;


    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        double w = Weight.At(context.Epoch, context.TotalEpochs, context.Step);
        var terms = new LossTerms();
        foreach (var t in Inner.Compute(context).Terms) terms.Add(t.Key, t.Value * w);
        return terms;
    }
}
