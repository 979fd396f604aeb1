namespace MLNet.Distillation.Students;

/// <summary>How a student's feature column is read into the rows it trains on.</summary>
internal enum StudentInput
{
    /// <summary>A fixed-size vector of floats (features, or an image's pixels), as it is.</summary>
    FloatVector,
}
