namespace MLNet.Distillation.Students;

public abstract partial class StudentArchitecture
{
    /// <summary>
    /// An embedding-bag text student (fastText-like): the mean of the embeddings of a row's tokens, and optionally of its
    /// hashed word bigrams, then the MLP and the head. It reads a token-id feature column — keys from
    /// <c>mlContext.Transforms.Text.TokenizeIntoWords</c> + <c>Conversion.MapValueToKey</c>, or non-negative integer ids,
    /// 0 being padding — truncated or padded to <see cref="EmbeddingBagStudentOptions.MaxTokens"/>. See docs/students.md.
    /// </summary>
    /// <param name="options">Sizes; null takes the defaults (64 tokens, 64-wide embeddings, no bigrams).</param>
    public static StudentArchitecture EmbeddingBag(EmbeddingBagStudentOptions? options = null) => new EmbeddingBagArchitecture(options ?? new());

    /// <summary>
    /// A 1-D convolutional text student (Kim 2014): token embeddings, one convolution over time per kernel size, ReLU, max
    /// over the positions of the row's tokens, then the MLP and the head. It reads the same token-id columns as
    /// <see cref="EmbeddingBag"/>, truncated or padded to <see cref="TextCnnStudentOptions.MaxTokens"/>. See docs/students.md.
    /// </summary>
    /// <param name="options">Sizes; null takes the defaults (64 tokens, 64-wide embeddings, kernels 3, 4, 5 of 64 filters each).</param>
    public static StudentArchitecture TextCnn(TextCnnStudentOptions? options = null) => new TextCnnArchitecture(options ?? new());
}
