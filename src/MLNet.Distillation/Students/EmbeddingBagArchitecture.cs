namespace MLNet.Distillation.Students;

/// <summary>The embedding-bag text student's description (<see cref="StudentArchitecture.EmbeddingBag"/>), checked when it is made.</summary>
internal sealed class EmbeddingBagArchitecture : TokenStudentArchitecture
{
    public EmbeddingBagArchitecture(EmbeddingBagStudentOptions options) : base(options.MaxTokens, "EmbeddingBagStudentOptions.MaxTokens")
    {
        if (options.EmbeddingDimension < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.EmbeddingDimension, "EmbeddingBagStudentOptions.EmbeddingDimension must be at least 1 (typical 32 to 300).");
        if (options.BigramBuckets < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.BigramBuckets, "EmbeddingBagStudentOptions.BigramBuckets cannot be negative (0: no bigrams).");
        if (options.BigramBuckets > 0 && options.MaxTokens < 2)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxTokens, "EmbeddingBagStudentOptions.MaxTokens must be at least 2 with bigrams (BigramBuckets > 0).");
        Dimension = options.EmbeddingDimension;
        BigramBuckets = options.BigramBuckets;
    }

    public int Dimension { get; }

    public int BigramBuckets { get; }

    public override string Describe() => EmbeddingBagBody.Description(MaxTokens, null, Dimension, BigramBuckets);

    internal override StudentBodyModule Create(BodyContext context) => new EmbeddingBagModule(context.VocabularySize, MaxTokens, Dimension, BigramBuckets);
}
