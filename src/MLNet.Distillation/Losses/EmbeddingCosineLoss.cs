namespace MLNet.Distillation.Losses;

/// <summary>
/// The default loss of an embedding student: term <c>embedding-cos</c> = mean over every row of 1 − cos(s_i, t_i), the
/// student embedding s against the teacher's t (norms floored at 1e-8). It matches directions only, which is what cosine
/// search and clustering use; the student's norms are free. Labels are not used.
/// </summary>
public sealed class EmbeddingCosineLoss : EmbeddingLoss
{
    /// <inheritdoc />
    public override string Name => "embedding-cosine";

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        var (s, t) = Embeddings(context);
        return new LossTerms().Add("embedding-cos", (1.0 - RowCosine(s, t)).mean());
    }
}
