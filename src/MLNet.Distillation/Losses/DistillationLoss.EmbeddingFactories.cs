namespace MLNet.Distillation.Losses;

public abstract partial class DistillationLoss
{
    /// <summary>
    /// Cosine distance <c>1 − cos(s, t)</c> between the student's and the teacher's embedding, averaged over the rows: the
    /// default loss of an embedding student (<c>mlContext.Transforms.EmbeddingStudent</c>); see <see cref="EmbeddingCosineLoss"/>.
    /// </summary>
    public static EmbeddingCosineLoss EmbeddingCosine() => new();
}
