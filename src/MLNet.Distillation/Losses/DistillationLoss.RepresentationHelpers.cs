using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

// Helpers shared by the representation losses (hints, relational and embedding losses): checked access to a student
// layer and to a teacher representation, and the row-wise geometry they share.
public abstract partial class DistillationLoss
{
    /// <summary>Every task: the representation losses look at vectors, whatever the student predicts.</summary>
    internal static IReadOnlyCollection<DistillationTask> AllTasks { get; } = Enum.GetValues<DistillationTask>();

    /// <summary>
    /// Student layer <paramref name="index"/> of <see cref="LossContext.StudentLayers"/> (0…n−1 from the first, −1…−n from
    /// the last), checked to be a [B, H] matrix with the batch's rows; a message naming the layer count otherwise.
    /// </summary>
    protected Tensor StudentLayer(LossContext context, int index)
    {
        int n = context.StudentLayers.Count;
        int resolved = index < 0 ? n + index : index;
        if (n == 0 || resolved < 0 || resolved >= n)
            throw new ArgumentException($"{Name} reads student layer {index}, but the batch has {n} student layer(s)" +
                (n == 0 ? " (the student needs hidden layers: set StudentOptions.HiddenLayers)." : $" (use 0…{n - 1}, or −1…−{n} from the last)."), nameof(context));
        var layer = context.StudentLayers[resolved];
        long rows = context.StudentLogits.shape[0];
        if (layer.ndim != 2 || layer.shape[0] != rows)
            throw new ArgumentException($"{Name}: student layer {index} has shape [{string.Join(", ", layer.shape)}]; expected [{rows}, units].", nameof(context));
        return layer;
    }

    /// <summary>
    /// The teacher representation a loss compares with: extra teacher column <paramref name="column"/> from
    /// <see cref="LossContext.TeacherExtras"/>, or the teacher's outputs (<see cref="LossContext.Teacher"/>) when null;
    /// checked to be [B, D] with the batch's rows.
    /// </summary>
    protected Tensor TeacherRepresentation(LossContext context, string? column)
    {
        Tensor teacher;
        if (column is null) teacher = context.RequireTeacher();
        else if (!context.TeacherExtras.TryGetValue(column, out teacher!))
            throw new ArgumentException(
                $"{Name} reads teacher column '{column}', but the batch carries [{string.Join(", ", context.TeacherExtras.Keys)}]. Write it with " +
                $"mlContext.Transforms.Distill(new DistillOptions {{ OutputColumns = {{ [\"<teacher output>\"] = \"{column}\" }} }}) and keep it in the training data.",
                nameof(context));
        long rows = context.StudentLogits.shape[0];
        if (teacher.ndim != 2 || teacher.shape[0] != rows)
            throw new ArgumentException(
                $"{Name}: teacher {(column is null ? "outputs" : $"column '{column}'")} have shape [{string.Join(", ", teacher.shape)}]; expected [{rows}, width] " +
                "(one vector per row of the batch; rows made up by a transfer set carry no teacher embedding).", nameof(context));
        return teacher;
    }

    /// <summary>Row-wise unit vectors x / max(‖x‖, 1e-12) (zero rows stay zero), as torch.nn.functional.normalize.</summary>
    protected static Tensor UnitRows(Tensor x) => x / x.square().sum(1, keepdim: true).sqrt().clamp_min(1e-12);

    /// <summary>Row-wise cosine s_i·t_i / (max(‖s_i‖, 1e-8)·max(‖t_i‖, 1e-8)): [B, D] × [B, D] → [B].</summary>
    protected static Tensor RowCosine(Tensor s, Tensor t)
        => (s * t).sum(1) / (s.square().sum(1).sqrt().clamp_min(1e-8) * t.square().sum(1).sqrt().clamp_min(1e-8));

    /// <summary>Cosine of every pair a_i, b_j: [B, D] × [C, D] → [B, C] (norms floored at 1e-8).</summary>
    protected static Tensor PairCosine(Tensor a, Tensor b)
        => (a / a.square().sum(1, keepdim: true).sqrt().clamp_min(1e-8)).matmul((b / b.square().sum(1, keepdim: true).sqrt().clamp_min(1e-8)).t());

    /// <summary>A zero that keeps the graph of <paramref name="like"/> (for batches a loss cannot use, so that backward still works).</summary>
    protected static Tensor ZeroLike(Tensor like) => like.sum() * 0.0;
}
