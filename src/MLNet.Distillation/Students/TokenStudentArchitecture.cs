
namespace MLNet.Distillation.Students;

/// <summary>
/// A student architecture that reads token ids (<see cref="StudentInput.TokenIds"/>): the feature column is a vector of
/// keys (ML.NET's <c>TokenizeIntoWords</c> + <c>MapValueToKey</c>) or of non-negative integer ids, 0 being padding, which
/// the training set reads truncated or padded to <see cref="MaxTokens"/> (<c>Training.TokenIdReader</c>).
/// </summary>
internal abstract class TokenStudentArchitecture : StudentArchitecture
{
    private protected TokenStudentArchitecture(int maxTokens, string option)
    {
        if (maxTokens < 1 || maxTokens > MaxTokensLimit)
            throw new ArgumentOutOfRangeException(option, maxTokens, $"{option} must lie in [1, {MaxTokensLimit:N0}]: the ids a text student reads per row (longer rows are truncated, shorter ones padded).");
        MaxTokens = maxTokens;
    }

    /// <summary>The most <see cref="MaxTokens"/> may be.</summary>
    public const int MaxTokensLimit = 1 << 16;

    /// <summary>Token ids read per row: longer rows are truncated, shorter ones padded with 0.</summary>
    public int MaxTokens { get; }

    internal override StudentInput Input => StudentInput.TokenIds;
}
