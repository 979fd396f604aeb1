namespace MLNet.Distillation.Students;

/// <summary>
/// A body that reads token ids (0 = padding) rather than float features: the exported graph takes int64 ids
/// [batch, <see cref="MaxTokens"/>] (standalone) or the token column's own type and length (ML.NET scoring chain), and
/// reads ids outside [0, <see cref="VocabularySize"/>) as padding.
/// </summary>
internal interface ITokenIdBody
{
    /// <summary>Token ids read per row.</summary>
    int MaxTokens { get; }

    /// <summary>Rows of the embedding table: the largest id + 1 (id 0 is padding).</summary>
    int VocabularySize { get; }
}
