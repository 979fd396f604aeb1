using System.Globalization;

namespace MLNet.Distillation.Students;

/// <summary>
/// One convolution over time of a <see cref="TextCnnBody"/>: <c>Filters</c> filters, each <c>KernelSize</c> tokens wide
/// over <c>Channels</c> embedding values.
/// </summary>
/// <param name="Weights">Weights, row-major [Filters, Channels, KernelSize] (TorchSharp's and ONNX's Conv layout).</param>
/// <param name="Bias">Bias, one per filter.</param>
/// <param name="Channels">Embedding width the convolution reads.</param>
/// <param name="KernelSize">Tokens per window.</param>
/// <param name="Filters">Output channels.</param>
public sealed record TextConvolution(float[] Weights, float[] Bias, int Channels, int KernelSize, int Filters);

/// <summary>
/// The trained weights of a 1-D convolutional text student's body (<see cref="StudentArchitecture.TextCnn"/>), without
/// TorchSharp: token embeddings (zero at padding), then per convolution a ReLU and the maximum over the windows that
/// start at a non-padding token (each row padded on the right so that every token starts a window); the pooled filters
/// of the convolutions, concatenated, are the output.
/// </summary>
public sealed class TextCnnBody : StudentBody, ITokenIdBody
{
    /// <summary>Creates the body from its weights.</summary>
    /// <param name="maxTokens">Token ids read per row.</param>
    /// <param name="vocabularySize">Rows of the embedding table (the largest id + 1; id 0 is padding).</param>
    /// <param name="dimension">Width of each embedding.</param>
    /// <param name="embeddings">Token embeddings, row-major [vocabularySize, dimension].</param>
    /// <param name="convolutions">The convolutions, all with <paramref name="dimension"/> channels and the same number of filters.</param>
    /// <param name="vocabulary">The token of each id 1..vocabularySize − 1 (the key values of the token column); null when unknown.</param>
    public TextCnnBody(int maxTokens, int vocabularySize, int dimension, float[] embeddings, IReadOnlyList<TextConvolution> convolutions, IReadOnlyList<string>? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(convolutions);
        if (maxTokens < 1) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "A text CNN reads at least one token.");
        if (vocabularySize < 2) throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize, "The vocabulary holds the padding id 0 and at least one token.");
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Embeddings have at least one value.");
        if (embeddings.LongLength != (long)vocabularySize * dimension)
            throw new ArgumentException($"The token embeddings hold {embeddings.Length} values; {vocabularySize} × {dimension} expected.", nameof(embeddings));
        if (convolutions.Count == 0) throw new ArgumentException("A text CNN has at least one convolution.", nameof(convolutions));
        foreach (var c in convolutions)
            if (c.Channels != dimension || c.Filters != convolutions[0].Filters || c.KernelSize < 1 || c.Filters < 1
                || c.Weights.LongLength != (long)c.Filters * c.Channels * c.KernelSize || c.Bias.Length != c.Filters)
                throw new ArgumentException($"Convolution {c.Filters}×{c.Channels}×{c.KernelSize} ({c.Weights.Length} weights, {c.Bias.Length} biases) does not fit: every convolution reads {dimension} channels and has {convolutions[0].Filters} filters.", nameof(convolutions));
        MaxTokens = maxTokens;
        VocabularySize = vocabularySize;
        Dimension = dimension;
        Embeddings = embeddings;
        Convolutions = convolutions.ToArray();
        Vocabulary = TokenVocabulary.Check(vocabulary, vocabularySize);
    }

    /// <summary>Token ids read per row (longer rows are truncated, shorter ones padded with 0).</summary>
    public int MaxTokens { get; }

    /// <summary>Rows of the embedding table: the largest id + 1 (id 0 is padding; ids outside the table read as padding).</summary>
    public int VocabularySize { get; }

    /// <summary>Width of each embedding.</summary>
    public int Dimension { get; }

    /// <summary>Token embeddings, row-major [<see cref="VocabularySize"/>, <see cref="Dimension"/>].</summary>
    public float[] Embeddings { get; }

    /// <summary>The convolutions, in the order their pooled filters are concatenated.</summary>
    public IReadOnlyList<TextConvolution> Convolutions { get; }

    /// <summary>The token of each id 1..<see cref="VocabularySize"/> − 1, in id order (the key values of the token column the student trained on); null when the ids were plain integers.</summary>
    public IReadOnlyList<string>? Vocabulary { get; }

    StudentBody ITokenIdBody.WithVocabulary(IReadOnlyList<string> vocabulary)
        => new TextCnnBody(MaxTokens, VocabularySize, Dimension, Embeddings, Convolutions, vocabulary);

    /// <inheritdoc />
    public override int InputSize => MaxTokens;

    /// <inheritdoc />
    public override int OutputWidth => Convolutions.Sum(c => c.Filters);

    /// <inheritdoc />
    public override long ParameterCount => Embeddings.LongLength + Convolutions.Sum(c => c.Weights.LongLength + c.Bias.Length);

    /// <inheritdoc />
    public override string Describe() => Description(MaxTokens, VocabularySize, Dimension, Convolutions.Select(c => c.KernelSize).ToArray(), Convolutions[0].Filters);

    internal static string Description(int maxTokens, int? vocabulary, int dimension, IReadOnlyList<int> kernels, int filters)
        => string.Create(CultureInfo.InvariantCulture, $"text-cnn {(vocabulary is int v ? $"{v}×" : "")}{dimension} [{string.Join(", ", kernels.Select(k => $"{filters}k{k}"))}], {maxTokens} tokens");

    internal override StudentBodyModule ToModule() => TextCnnModule.From(this);

    internal override string EmitOnnx(Export.OnnxGraphBuilder graph, string input) => Export.TextCnnBodyOnnx.Emit(graph, this, input);
}
