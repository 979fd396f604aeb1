using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>What a teacher column holds: raw logits, or probabilities (a model that ends in Softmax).</summary>
public enum TeacherOutputKind
{
    /// <summary>Unnormalised scores; softmax(t / T) gives the soft labels.</summary>
    Logits,
    /// <summary>Probabilities that sum to one per row; temperature T sharpens or flattens them as softmax(log p / T).</summary>
    Probabilities,
}

/// <summary>
/// Everything a loss may look at for one training batch. Tensors are batch-first; the trainer owns them
/// (a loss must not dispose them). Labels are class indices with <c>-1</c> where a row has no label.
/// </summary>
public sealed class LossContext
{
    /// <summary>
    /// Student outputs from the main head, shape [B, C]: K logits (multiclass), one logit (binary), k values in standardised
    /// units (regression; see <see cref="Targets"/>), one score (ranking).
    /// </summary>
    public required Tensor StudentLogits { get; init; }

    /// <summary>
    /// Teacher outputs for the batch, shape [B, C] like <see cref="StudentLogits"/>, or <c>null</c> when training without a
    /// teacher. The trainer puts them in the student's form first: binary teachers as one logit per row (whatever they
    /// emit: one logit, two logits, a probability), regression teachers in the same standardised units as the targets.
    /// </summary>
    public Tensor? Teacher { get; init; }

    /// <summary>The task of the batch; a loss may refuse tasks it was not made for (see <see cref="DistillationLoss.Tasks"/>).</summary>
    public DistillationTask Task { get; init; } = DistillationTask.MulticlassClassification;

    /// <summary>
    /// Real-valued labels, float32 [B, C], for the tasks that have them: binary 0/1 [B, 1]; regression [B, k], standardised
    /// (minus the training rows' mean, over their standard deviation) unless the loss asks for raw targets; ranking relevance
    /// grades [B, 1]. Zero on rows without a label (<see cref="LabelMask"/> tells which); null for multiclass.
    /// </summary>
    public Tensor? Targets { get; init; }

    /// <summary>
    /// Ranking only: int64 [B], the group (query) of each row numbered 0..G−1 within the batch; the rows of a group are
    /// contiguous and a batch holds whole groups. Null for the other tasks.
    /// </summary>
    public Tensor? GroupIds { get; init; }

    /// <summary>Whether <see cref="Teacher"/> holds logits or probabilities.</summary>
    public TeacherOutputKind TeacherKind { get; init; } = TeacherOutputKind.Logits;

    /// <summary>Per-teacher outputs when several teachers are kept separate ([B, K] each); empty otherwise.</summary>
    public IReadOnlyList<Tensor> Teachers { get; init; } = [];

    /// <summary>Weights of <see cref="Teachers"/> (same length), summing to one.</summary>
    public IReadOnlyList<double> TeacherWeights { get; init; } = [];

    /// <summary>
    /// Class indices, int64 [B]; <c>-1</c> marks a row without a label. Multiclass: the class; binary: 0 or 1; regression and
    /// ranking: 0 on rows with a label (their values are in <see cref="Targets"/>).
    /// </summary>
    public required Tensor Labels { get; init; }

    /// <summary>Student input features [B, F], for losses that look at the inputs.</summary>
    public Tensor? Features { get; init; }

    /// <summary>The student's penultimate activations [B, H] (input of the main head).</summary>
    public Tensor? Penultimate { get; init; }

    /// <summary>The student's main head (linear layer), for losses that re-apply it (e.g. multi-sample dropout).</summary>
    public Func<Tensor, Tensor>? MainHead { get; init; }

    /// <summary>Outputs of the extra heads that losses asked for through <see cref="DistillationLoss.ExtraHeads"/>, by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Heads { get; init; } = new Dictionary<string, Tensor>();

    /// <summary>
    /// Extra teacher columns (e.g. a teacher's embedding or a hidden layer, written by <c>Transforms.Distill</c> through
    /// <c>DistillOptions.OutputColumns</c>) by column name, [B, D] each: the columns the loss names in
    /// <see cref="DistillationLoss.TeacherColumns"/>, which the trainer reads with the rest of the rows.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> TeacherExtras { get; init; } = new Dictionary<string, Tensor>();

    /// <summary>
    /// The student's hidden representations, [B, Hᵢ] each, in order: the output of each hidden layer after its activation
    /// (for an MLP student; the last one is <see cref="Penultimate"/>). Empty for a student without hidden layers.
    /// </summary>
    public IReadOnlyList<Tensor> StudentLayers { get; init; } = [];

    /// <summary>
    /// How many of the batch's rows are synthetic transfer rows (<c>StudentOptions.TransferSet</c>): the last
    /// <see cref="TransferRows"/> rows, after the real ones; 0 without a transfer set. With
    /// <c>TransferAugmentation.Adversarial</c> they are the adversarial versions of the first real rows, labelled by the
    /// transfer-set teacher.
    /// </summary>
    public int TransferRows { get; init; }

    /// <summary>
    /// Loss weight of each row, float32 [B], or null (every row weighs 1). Set by a data strategy that weights rows
    /// (<c>DataStrategy.OutOfDomainWeighting</c>); a loss that honours it (<see cref="DistillationLoss.SupportsRowWeights"/>)
    /// multiplies each row's loss by it, and synthetic transfer rows weigh 1.
    /// </summary>
    public Tensor? RowWeights { get; init; }

    /// <summary>Each row's weight as a float [B] tensor of <paramref name="like"/>'s type: <see cref="RowWeights"/>, or ones.</summary>
    public Tensor RowWeightsOr1(Tensor like) => RowWeights is { } w ? w.to_type(like.dtype) : ones_like(like);

    /// <summary>Zero-based epoch of this step.</summary>
    public int Epoch { get; init; }

    /// <summary>Number of epochs the trainer plans to run.</summary>
    public int TotalEpochs { get; init; } = 1;

    /// <summary>Zero-based optimisation step.</summary>
    public long Step { get; init; }

    /// <summary>True while training (dropout etc. active), false in evaluation.</summary>
    public bool Training { get; init; } = true;

    /// <summary>Number of classes K.</summary>
    public long NumClasses => StudentLogits.shape[1];

    /// <summary>Boolean [B] mask of rows that carry a label.</summary>
    public Tensor LabelMask => Labels.ge(0);

    /// <summary>Log-probabilities of the teacher at temperature <paramref name="temperature"/>, [B, K], whatever <see cref="TeacherKind"/> is.</summary>
    public Tensor TeacherLogProbabilities(double temperature = 1.0) => LogSoftmaxOf(RequireTeacher(), TeacherKind, temperature);

    /// <summary>Probabilities of the teacher at temperature <paramref name="temperature"/>, [B, K].</summary>
    public Tensor TeacherProbabilities(double temperature = 1.0) => TeacherLogProbabilities(temperature).exp();

    /// <summary>Log-softmax of a teacher output of the given kind at a temperature; probabilities are turned into log-space first.</summary>
    public static Tensor LogSoftmaxOf(Tensor output, TeacherOutputKind kind, double temperature)
    {
        var scores = kind == TeacherOutputKind.Probabilities ? output.clamp_min(1e-30).log() : output;
        return nn.functional.log_softmax(temperature == 1.0 ? scores : scores / temperature, 1);
    }

    /// <summary>The teacher tensor, or a clear error when the loss needs one and the trainer has none.</summary>
    public Tensor RequireTeacher() => Teacher ?? throw new InvalidOperationException(
        "This loss needs teacher outputs, but the trainer has no teacher column. Set StudentOptions.TeacherColumnName " +
        "to the column written by mlContext.Transforms.Distill(...), or use DistillationLoss.CrossEntropy() to train from scratch.");

    /// <summary>
    /// A copy of this context with other student logits (e.g. one dropout sample of the main head); every other member is
    /// shared, not copied.
    /// </summary>
    public LossContext WithStudentLogits(Tensor studentLogits) => new()
    {
        StudentLogits = studentLogits, Teacher = Teacher, TeacherKind = TeacherKind, Task = Task, Targets = Targets, GroupIds = GroupIds, Teachers = Teachers,
        TeacherWeights = TeacherWeights, Labels = Labels, Features = Features, Penultimate = Penultimate,
        MainHead = MainHead, Heads = Heads, TeacherExtras = TeacherExtras, StudentLayers = StudentLayers, TransferRows = TransferRows, RowWeights = RowWeights, Epoch = Epoch, TotalEpochs = TotalEpochs,
        Step = Step, Training = Training,
    };

    /// <summary>Labels where present, and the teacher's top-1 class where the label is missing (<c>-1</c>) — for methods that need a target class on every row.</summary>
    public Tensor TargetsOrTeacherArgmax()
    {
        if (Teacher is null) return Labels.clamp_min(0);
        return where(LabelMask, Labels, Teacher.argmax(1));
    }
}
