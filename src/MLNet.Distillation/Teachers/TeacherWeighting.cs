namespace MLNet.Distillation.Teachers;

/// <summary>Validation and normalisation of per-teacher weights.</summary>
internal static class TeacherWeighting
{
    /// <summary>
    /// Equal weights when <paramref name="weights"/> is null; otherwise checks count, sign and finiteness and scales them to
    /// sum to one. <paramref name="what"/> names the setting in errors (e.g. "StudentOptions.TeacherWeights").
    /// </summary>
    public static double[] Normalise(IReadOnlyList<double>? weights, int teachers, string what, string teacherWord)
    {
        if (weights is null) return Enumerable.Repeat(1.0 / teachers, teachers).ToArray();
        if (weights.Count != teachers)
            throw new ArgumentException($"{what} has {weights.Count} values for {teachers} {teacherWord}; give one weight per teacher, in the same order.");
        if (weights.Any(w => !double.IsFinite(w) || w < 0))
            throw new ArgumentException($"{what} [{string.Join(", ", weights)}] must be finite and non-negative.");
        double total = weights.Sum();
        if (!(total > 0)) throw new ArgumentException($"{what} [{string.Join(", ", weights)}] sum to zero; at least one teacher needs a positive weight.");
        return weights.Select(w => w / total).ToArray();
    }
}
