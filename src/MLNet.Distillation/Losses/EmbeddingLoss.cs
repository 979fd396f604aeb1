using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Base of the losses of an embedding student (<see cref="DistillationTask.Embedding"/>): the student's output
/// (<see cref="LossContext.StudentLogits"/>, [B, D]) is an embedding of the teacher embedding's width, the teacher
/// (<see cref="LossContext.Teacher"/>) is the teacher's embedding of the row, and <see cref="LossContext.Labels"/> are
/// optional class keys (−1 for none).
/// </summary>
public abstract class EmbeddingLoss : DistillationLoss
{
    /// <inheritdoc />
    public override IReadOnlyCollection<DistillationTask> Tasks => [DistillationTask.Embedding];

    /// <summary>The student and teacher embeddings of the batch, checked to be [B, D] each (teacher detached, in the student's dtype).</summary>
    protected (Tensor Student, Tensor Teacher) Embeddings(LossContext context)
    {
        var teacher = context.RequireTeacher();
        RequireSameShape(context, teacher, "teacher embeddings");
        return (context.StudentLogits, teacher.detach().to_type(context.StudentLogits.dtype));
    }

    /// <summary>Boolean [B, B]: rows i and j both carry a label and the labels are equal.</summary>
    protected static Tensor SameLabel(Tensor labels)
    {
        var labelled = labels.ge(0);
        return labels.unsqueeze(1).eq(labels.unsqueeze(0)).logical_and(labelled.unsqueeze(1)).logical_and(labelled.unsqueeze(0));
    }
}
