using System.Globalization;

namespace MLNet.Distillation.Students;

/// <summary>
/// The trained weights of an embedding-bag text student's body (<see cref="StudentArchitecture.EmbeddingBag"/>), without
/// TorchSharp: a row's output is the mean of the embeddings of its non-padding token ids and of its hashed bigrams.
/// </summary>
public sealed class EmbeddingBagBody : StudentBody, ITokenIdBody
{
    /// <summary>Creates the body from its weights.</summary>
    /// <param name="maxTokens">Token ids read per row.</param>
    /// <param name="vocabularySize">Rows of the token embedding table (the largest id + 1; id 0 is padding).</param>
    /// <param name="dimension">Width of each embedding.</param>
    /// <param name="embeddings">Token embeddings, row-major [vocabularySize, dimension].</param>
    /// <param name="bigramBuckets">Hashed bigram buckets (0: none).</param>
    /// <param name="bigramEmbeddings">Bigram embeddings, row-major [bigramBuckets, dimension]; null without bigrams.</param>
    /// <param name="vocabulary">The token of each id 1..vocabularySize − 1 (the key values of the token column); null when unknown.</param>
    public EmbeddingBagBody(int maxTokens, int vocabularySize, int dimension, float[] embeddings, int bigramBuckets, float[]? bigramEmbeddings, IReadOnlyList<string>? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (maxTokens < 1) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "An embedding bag reads at least one token.");
        if (vocabularySize < 2) throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize, "The vocabulary holds the padding id 0 and at least one token.");
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Embeddings have at least one value.");
        if (embeddings.LongLength != (long)vocabularySize * dimension)
            throw new ArgumentException($"The token embeddings hold {embeddings.Length} values; {vocabularySize} × {dimension} expected.", nameof(embeddings));
        if (bigramBuckets < 0 || (bigramBuckets > 0) != (bigramEmbeddings is not null) || (bigramEmbeddings is not null && bigramEmbeddings.LongLength != (long)bigramBuckets * dimension))
            throw new ArgumentException($"The bigram embeddings must hold bigramBuckets × dimension = {(long)Math.Max(0, bigramBuckets) * dimension} values, or be null with 0 buckets.", nameof(bigramEmbeddings));
        if (bigramBuckets > 0 && maxTokens < 2) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "Bigrams need at least two tokens per row.");
        MaxTokens = maxTokens;
        VocabularySize = vocabularySize;
        Dimension = dimension;
        Embeddings = embeddings;
        BigramBuckets = bigramBuckets;
        BigramEmbeddings = bigramEmbeddings;
        Vocabulary = TokenVocabulary.Check(vocabulary, vocabularySize);
    }

    /// <summary>Token ids read per row (longer rows are truncated, shorter ones padded with 0).</summary>
    public int MaxTokens { get; }

    /// <summary>Rows of the token embedding table: the largest id + 1 (id 0 is padding; ids outside the table read as padding).</summary>
    public int VocabularySize { get; }

    /// <summary>Width of each embedding, and of the body's output.</summary>
    public int Dimension { get; }

    /// <summary>Token embeddings, row-major [<see cref="VocabularySize"/>, <see cref="Dimension"/>].</summary>
    public float[] Embeddings { get; }

    /// <summary>Hashed bigram buckets (0: no bigrams); the bigram of neighbouring non-padding ids (a, b) is bucket <c>(a · 1,000,003 + b) mod BigramBuckets</c>.</summary>
    public int BigramBuckets { get; }

    /// <summary>Bigram embeddings, row-major [<see cref="BigramBuckets"/>, <see cref="Dimension"/>]; null without bigrams.</summary>
    public float[]? BigramEmbeddings { get; }

    /// <summary>The token of each id 1..<see cref="VocabularySize"/> − 1, in id order (the key values of the token column the student trained on); null when the ids were plain integers.</summary>
    public IReadOnlyList<string>? Vocabulary { get; }

    StudentBody ITokenIdBody.WithVocabulary(IReadOnlyList<string> vocabulary)
        => new EmbeddingBagBody(MaxTokens, VocabularySize, Dimension, Embeddings, BigramBuckets, BigramEmbeddings, vocabulary);

    /// <inheritdoc />
    public override int InputSize => MaxTokens;

    /// <inheritdoc />
    public override int OutputWidth => Dimension;

    /// <inheritdoc />
    public override long ParameterCount => Embeddings.LongLength + (BigramEmbeddings?.LongLength ?? 0);

    /// <inheritdoc />
    public override string Describe() => Description(MaxTokens, VocabularySize, Dimension, BigramBuckets);

    internal static string Description(int maxTokens, int? vocabulary, int dimension, int buckets)
        => string.Create(CultureInfo.InvariantCulture, $"embedding-bag {(vocabulary is int v ? $"{v}×" : "")}{dimension}{(buckets > 0 ? $" + {buckets} bigram buckets" : "")}, {maxTokens} tokens");

    internal override StudentBodyModule ToModule() => EmbeddingBagModule.From(this);

    internal override string EmitOnnx(Export.OnnxGraphBuilder graph, string input) => Export.EmbeddingBagBodyOnnx.Emit(graph, this, input);
}
