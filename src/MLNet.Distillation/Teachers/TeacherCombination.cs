namespace MLNet.Distillation.Teachers;

/// <summary>How <c>mlContext.Transforms.CombineTeachers(...)</c> merges several teacher columns into one.</summary>
public enum TeacherCombination
{
    /// <summary>
    /// Weighted mean of the teachers' probabilities (softmax of logits; probability columns as they are). The combined
    /// column holds probabilities. The usual ensemble of classifiers: a confident teacher does not drown out the others.
    /// </summary>
    ProbabilityMean,

    /// <summary>
    /// Weighted mean of the teachers' logits (log-probabilities for probability columns). The combined column holds logits;
    /// equivalent to a weighted geometric mean of the probabilities, which is sharper than <see cref="ProbabilityMean"/>.
    /// </summary>
    LogitMean,
}
