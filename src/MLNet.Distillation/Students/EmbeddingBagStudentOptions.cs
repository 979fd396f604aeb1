namespace MLNet.Distillation.Students;

/// <summary>
/// Options of the embedding-bag text student (<see cref="StudentArchitecture.EmbeddingBag"/>), fastText-like (Joulin et
/// al. 2017, "Bag of Tricks for Efficient Text Classification"): the mean of the embeddings of a row's tokens — and,
/// with <see cref="BigramBuckets"/>, of its hashed word bigrams — then the MLP of <see cref="Training.StudentOptions.HiddenLayers"/>
/// (empty for fastText's linear classifier) and the task's head.
/// </summary>
public sealed class EmbeddingBagStudentOptions
{
    /// <summary>Token ids read per row (default 64): longer rows are truncated, shorter ones padded with 0.</summary>
    public int MaxTokens { get; set; } = 64;

    /// <summary>Width of each token's embedding, which is the body's output width (default 64).</summary>
    public int EmbeddingDimension { get; set; } = 64;

    /// <summary>
    /// Hashed word-bigram embeddings (default 0: none). Each pair of neighbouring non-padding ids (a, b) adds the
    /// embedding of bucket <c>(a · 1,000,003 + b) mod BigramBuckets</c> to the mean, so word order enters the student at
    /// the cost of <c>BigramBuckets × EmbeddingDimension</c> more parameters (fastText uses millions of buckets on large
    /// corpora; a few times the number of distinct bigrams of the training rows is enough).
    /// </summary>
    public int BigramBuckets { get; set; }
}
