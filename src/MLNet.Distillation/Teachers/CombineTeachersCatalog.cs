using Microsoft.ML;
using MLNet.Distillation.Teachers;

namespace MLNet.Distillation;

public static partial class DistillationCatalog
{
    /// <summary>
    /// Merges several teacher columns (each written by its own <c>mlContext.Transforms.Distill(...)</c> step, so each teacher
    /// keeps its own inputs, batch size and device) into one column, for a student trained on an ensemble of teachers.
    /// To keep the teachers separate and train on a weighted sum of per-teacher losses instead, skip this step and set
    /// <c>StudentOptions.TeacherColumnNames</c>.
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="outputColumnName">The combined column (e.g. "TeacherLogits").</param>
    /// <param name="inputColumnNames">The teacher columns; each a float vector with one value per class, same classes in the same order.</param>
    /// <param name="weights">One non-negative weight per teacher column, normalised to sum to one; null (default) weighs them equally.</param>
    /// <param name="combination">Weighted probability mean (default; the combined column holds probabilities) or logit mean (it holds logits).</param>
    public static CombineTeachersEstimator CombineTeachers(this TransformsCatalog catalog, string outputColumnName, string[] inputColumnNames,
        double[]? weights = null, TeacherCombination combination = TeacherCombination.ProbabilityMean)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CombineTeachersEstimator(outputColumnName, inputColumnNames, weights, combination);
    }
}
