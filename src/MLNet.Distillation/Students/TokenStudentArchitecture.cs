using MLNet.Distillation.Training;

namespace MLNet.Distillation.Students;

/// <summary>
/// A student architecture that reads token ids (<see cref="StudentInput.TokenIds"/>): the feature column is a vector of
/// keys (ML.NET's <c>TokenizeIntoWords</c> + <c>MapValueToKey</c>) or of non-negative integer ids, 0 being padding, which
/// the training set reads truncated or padded to <see cref="MaxTokens"/> (<see cref="TokenIdReader"/>).
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

    /// <summary>
    /// Refuses the options that perturb float features, which would turn token ids into other words: synthetic transfer
    /// sets and the mean teacher's input noise.
    /// </summary>
    internal void Validate(StudentOptions o)
    {
        if (o.TransferSet is not null)
            throw new ArgumentException($"StudentOptions.TransferSet makes synthetic rows by perturbing float features; the {Describe()} student reads token ids, which have no such neighbours. Leave TransferSet null and distil on unlabelled text rows instead.", nameof(o.TransferSet));
        if (o.SelfDistillation is { Mode: SelfDistillationMode.MeanTeacher, InputNoise: > 0 } sd)
            throw new ArgumentException($"SelfDistillationOptions.InputNoise ({sd.InputNoise}) adds noise to float features; the {Describe()} student reads token ids. Set InputNoise to 0.", nameof(o.SelfDistillation));
    }
}
