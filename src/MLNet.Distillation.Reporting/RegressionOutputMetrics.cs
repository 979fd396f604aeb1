namespace MLNet.Distillation.Reporting;

/// <summary>One output of a regression model against the labels, as ML.NET's <c>Regression.Evaluate</c> computes it (unweighted).</summary>
/// <param name="Output">Zero-based output index (the slot of a vector label; 0 for a single output).</param>
/// <param name="RootMeanSquaredError">√(mean (prediction − label)²) over the labelled rows, in the label's units; null without labelled rows.</param>
/// <param name="MeanAbsoluteError">Mean |prediction − label| over the labelled rows; null without labelled rows.</param>
/// <param name="RSquared">1 − Σ(prediction − label)² / Σ(label − mean label)² over the labelled rows; null without labelled rows or when every label is the same.</param>
public sealed record RegressionOutputMetrics(int Output, double? RootMeanSquaredError, double? MeanAbsoluteError, double? RSquared);
