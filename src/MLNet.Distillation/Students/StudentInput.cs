namespace MLNet.Distillation.Students;

/// <summary>How a student's feature column is read into the rows it trains on.</summary>
internal enum StudentInput
{
    /// <summary>A fixed-size vector of floats (features, or an image's pixels), as it is.</summary>
    FloatVector,
    /// <summary>
    /// Token ids (0 = padding): a vector of keys or non-negative integers of any length, truncated or padded to the
    /// architecture's maximum length and stored as floats (<see cref="Training.TokenIdReader"/>).
    /// </summary>
    TokenIds,
}
