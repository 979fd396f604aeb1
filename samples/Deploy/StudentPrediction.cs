namespace MLNet.Distillation.Deploy;

/// <summary>One prediction of a student: the class name and the probability of every class.</summary>
/// <param name="Label">The predicted class name (the original label value); null when a feature is NaN or ±∞ — the model then
/// gives <c>PredictedLabel</c> the missing key 0 and NaN for every probability, rather than a class it cannot know.</param>
/// <param name="Probabilities">Probability per class, in <see cref="StudentModel.ClassNames"/> order.</param>
public sealed record StudentPrediction(string? Label, float[] Probabilities);
