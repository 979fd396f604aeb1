using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Training;

/// <summary>
/// Puts a teacher row into the form the student of a task learns from: a binary teacher — one logit, one probability
/// (a model ending in Sigmoid), two logits or two probabilities (ending in Softmax) — becomes one logit, the log-odds of
/// the positive class (the second of two); the other tasks' teacher rows are kept as they are.
/// </summary>
internal static class TeacherForm
{
    /// <summary>Smallest probability distance from 0 and 1 a binary teacher's probability is clamped to before its log-odds are taken.</summary>
    private const double ProbabilityFloor = 1e-7;

    /// <summary>The width of the student's form of a teacher column that holds <paramref name="width"/> values per row.</summary>
    public static int StudentWidth(DistillationTask task, int width, string column)
    {
        if (task != DistillationTask.BinaryClassification) return width;
        if (width is 1 or 2) return 1;
        throw new ArgumentException($"Teacher column '{column}' has {width} values per row; a binary student learns from one logit or probability per row, " +
            "or two (the negative then the positive class). Distil the binary output of the teacher, or use the multiclass student for more classes.");
    }

    /// <summary>Writes the student's form of teacher row <paramref name="raw"/> into <paramref name="destination"/>.</summary>
    public static void ToStudent(DistillationTask task, TeacherOutputKind kind, ReadOnlySpan<float> raw, Span<float> destination, int row, string column)
    {
        if (task != DistillationTask.BinaryClassification)
        {
            raw.CopyTo(destination);
            return;
        }
        if (kind == TeacherOutputKind.Logits)
        {
            destination[0] = raw.Length == 1 ? raw[0] : raw[1] - raw[0];
            return;
        }
        foreach (var p in raw)
            if (p is < 0 or > 1)
                throw new ArgumentException($"Row {row} of teacher column '{column}' holds {p}, but the column is marked as probabilities; a probability lies in [0, 1]. " +
                    "If the teacher emits logits, set DistillOptions.OutputKind = TeacherOutputKind.Logits.");
        double positive = raw.Length == 1 ? raw[0] : raw[1];
        double negative = raw.Length == 1 ? 1 - raw[0] : raw[0];
        destination[0] = (float)(Math.Log(Math.Max(positive, ProbabilityFloor)) - Math.Log(Math.Max(negative, ProbabilityFloor)));
    }
}
