namespace MLNet.Distillation.Students;

/// <summary>The 1-D convolutional text student's description (<see cref="StudentArchitecture.TextCnn"/>), checked when it is made.</summary>
internal sealed class TextCnnArchitecture : TokenStudentArchitecture
{
    public TextCnnArchitecture(TextCnnStudentOptions options) : base(options.MaxTokens, "TextCnnStudentOptions.MaxTokens")
    {
        if (options.EmbeddingDimension < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.EmbeddingDimension, "TextCnnStudentOptions.EmbeddingDimension must be at least 1 (typical 32 to 300).");
        if (options.KernelSizes is not { Length: > 0 } kernels || kernels.Any(k => k < 1 || k > options.MaxTokens))
            throw new ArgumentException($"TextCnnStudentOptions.KernelSizes must list one or more widths in [1, MaxTokens = {options.MaxTokens}] (got [{string.Join(", ", options.KernelSizes ?? [])}]); typical 3, 4, 5.", nameof(options));
        if (options.FiltersPerKernel < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.FiltersPerKernel, "TextCnnStudentOptions.FiltersPerKernel must be at least 1 (typical 64 to 128).");
        Dimension = options.EmbeddingDimension;
        KernelSizes = kernels.ToArray();
        Filters = options.FiltersPerKernel;
    }

    public int Dimension { get; }

    public IReadOnlyList<int> KernelSizes { get; }

    public int Filters { get; }

    public override string Describe() => TextCnnBody.Description(MaxTokens, null, Dimension, KernelSizes, Filters);

    internal override StudentBodyModule Create(BodyContext context) => new TextCnnModule(context.VocabularySize, MaxTokens, Dimension, KernelSizes, Filters);
}
