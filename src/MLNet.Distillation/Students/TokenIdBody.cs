namespace MLNet.Distillation.Students;

/// <summary>Checks of the token vocabulary a token-id body carries.</summary>
internal static class TokenVocabulary
{
    /// <summary>Checks that <paramref name="vocabulary"/> names ids 1..<paramref name="vocabularySize"/> − 1 and returns a copy.</summary>
    public static IReadOnlyList<string>? Check(IReadOnlyList<string>? vocabulary, int vocabularySize)
    {
        if (vocabulary is null) return null;
        if (vocabulary.Count != vocabularySize - 1)
            throw new ArgumentException($"The vocabulary names {vocabulary.Count} tokens; a body of {vocabularySize} ids (padding 0 included) has {vocabularySize - 1}.", nameof(vocabulary));
        return vocabulary.ToArray();
    }
}

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

    /// <summary>The token of each id 1..VocabularySize − 1, in id order (a key column's key values); null when unknown.</summary>
    IReadOnlyList<string>? Vocabulary { get; }

    /// <summary>The same body, its ids named by <paramref name="vocabulary"/> (one token per id 1..VocabularySize − 1).</summary>
    StudentBody WithVocabulary(IReadOnlyList<string> vocabulary);
}
