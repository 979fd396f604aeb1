namespace MLNet.Distillation.Reporting;

/// <summary>One bin of a reliability diagram: the labelled rows whose confidence (top probability) lies in (<see cref="Lower"/>, <see cref="Upper"/>].</summary>
/// <param name="Lower">Lower edge of the confidence interval (exclusive, except 0).</param>
/// <param name="Upper">Upper edge of the confidence interval (inclusive).</param>
/// <param name="Count">Labelled rows in the bin.</param>
/// <param name="MeanConfidence">Mean top probability of those rows; null for an empty bin.</param>
/// <param name="Accuracy">Fraction of those rows predicted correctly; null for an empty bin.</param>
public sealed record ReliabilityBin(double Lower, double Upper, int Count, double? MeanConfidence, double? Accuracy);
