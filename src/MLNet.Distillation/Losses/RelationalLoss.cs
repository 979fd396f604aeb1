using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Base of the relational losses (RKD distance and angle, the relationship graph): they compare relations between the
/// rows of a batch — of a student layer and of a teacher representation, whose widths may differ, so no projection is
/// needed — and apply to every task. The teacher side is an extra teacher column, or the teacher's outputs when no column
/// is named. Cost: O(B²) (graph, distance) or O(B³) (angle) memory and time per batch of B rows.
/// </summary>
public abstract class RelationalLoss : DistillationLoss
{
    /// <summary>Sets the representations compared.</summary>
    /// <param name="teacherColumn">Extra teacher column, or null for the teacher's outputs (<see cref="LossContext.Teacher"/>).</param>
    /// <param name="studentLayer">Student hidden layer: 0…n−1 from the first, −1 (default) the last.</param>
    protected RelationalLoss(string? teacherColumn, int studentLayer)
    {
        if (teacherColumn is not null && string.IsNullOrWhiteSpace(teacherColumn))
            throw new ArgumentException("Name a teacher column (e.g. \"TeacherEmbedding\"), or pass null to relate the teacher's outputs.", nameof(teacherColumn));
        TeacherColumn = teacherColumn;
        StudentLayerIndex = studentLayer;
    }

    /// <summary>The teacher column, or null for the teacher's outputs.</summary>
    public string? TeacherColumn { get; }

    /// <summary>The student layer index as given (−1 = last hidden layer).</summary>
    public int StudentLayerIndex { get; }

    /// <inheritdoc />
    public override IReadOnlyCollection<DistillationTask> Tasks => AllTasks;

    /// <inheritdoc />
    public override IEnumerable<string> TeacherColumns => TeacherColumn is null ? [] : [TeacherColumn];

    /// <summary>Where the relations come from, for <see cref="DistillationLoss.Name"/>.</summary>
    protected string Source => $"{TeacherColumn ?? "teacher outputs"}, layer {StudentLayerIndex}";

    /// <inheritdoc />
    public override void Bind(LossBinding binding) => binding.ResolveLayer(StudentLayerIndex, Name);

    /// <summary>The student layer and the teacher representation of the batch (teacher detached, in the student's dtype).</summary>
    protected (Tensor Student, Tensor Teacher) Representations(LossContext context)
    {
        var s = StudentLayer(context, StudentLayerIndex);
        var t = TeacherRepresentation(context, TeacherColumn).detach().to_type(s.dtype);
        return (s, t);
    }

    /// <summary>Boolean [B, B] mask of the pairs i ≠ j.</summary>
    protected static Tensor OffDiagonal(long rows, Device device)
        => ones(rows, rows, dtype: ScalarType.Bool, device: device).logical_xor(eye(rows, dtype: ScalarType.Bool, device: device));

    /// <summary>Huber loss with δ = 1 (PyTorch's smooth L1), element-wise.</summary>
    protected static Tensor SmoothL1(Tensor a, Tensor b)
    {
        var x = (a - b).abs();
        var q = x.clamp_max(1.0);
        return q * (x - q * 0.5);
    }
}
