namespace MLNet.Distillation.Students;

/// <summary>
/// Options of the 1-D convolutional text student (<see cref="StudentArchitecture.TextCnn"/>; Kim 2014, "Convolutional
/// Neural Networks for Sentence Classification"): token embeddings, one convolution over time per kernel size with a
/// ReLU, max over the positions that start at a real token, the pooled features concatenated; then the MLP of
/// <see cref="Training.StudentOptions.HiddenLayers"/> and the task's head.
/// </summary>
public sealed class TextCnnStudentOptions
{
    /// <summary>Token ids read per row (default 64): longer rows are truncated, shorter ones padded with 0.</summary>
    public int MaxTokens { get; set; } = 64;

    /// <summary>Width of each token's embedding (default 64).</summary>
    public int EmbeddingDimension { get; set; } = 64;

    /// <summary>Widths in tokens of the convolutions, one convolution each (default 3, 4 and 5).</summary>
    public int[] KernelSizes { get; set; } = [3, 4, 5];

    /// <summary>Filters of each convolution (default 64); the body's output width is <c>FiltersPerKernel × KernelSizes.Length</c>.</summary>
    public int FiltersPerKernel { get; set; } = 64;
}
