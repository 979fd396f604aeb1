namespace MLNet.Distillation.Students;

/// <summary>What a body needs to know about the training rows when it is created.</summary>
/// <param name="InputWidth">Values per row of the feature column as the student reads it (pixels; token positions).</param>
/// <param name="VocabularySize">Token inputs: the number of distinct ids including the padding id 0; 0 for float inputs.</param>
/// <param name="FeatureMean">Per-value mean of the feature column over the training rows.</param>
/// <param name="FeatureStd">Per-value (population) standard deviation of the feature column over the training rows.</param>
/// <param name="FeatureColumnName">Name of the feature column, for messages.</param>
internal sealed record BodyContext(int InputWidth, int VocabularySize, float[] FeatureMean, float[] FeatureStd, string FeatureColumnName = "Features");
