using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Training;

/// <summary>Per-row scores the data strategies rank rows by: the teacher's probabilities, their entropy, the top rows of a score.</summary>
internal static class RowScores
{
    /// <summary>The teacher's probabilities at T = 1 for row <paramref name="row"/> of <paramref name="set"/>.</summary>
    public static double[] TeacherProbabilities(TrainingSet set, int row)
    {
        var t = set.TeacherRow(row);
        return set.TeacherKind == TeacherOutputKind.Probabilities ? Normalised(t) : Softmax(t);
    }

    /// <summary>Softmax of logits, in double precision.</summary>
    public static double[] Softmax(ReadOnlySpan<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        var p = new double[logits.Length];
        double sum = 0;
        for (int i = 0; i < p.Length; i++) sum += p[i] = Math.Exp(logits[i] - max);
        for (int i = 0; i < p.Length; i++) p[i] /= sum;
        return p;
    }

    private static double[] Normalised(ReadOnlySpan<float> probabilities)
    {
        var p = new double[probabilities.Length];
        double sum = 0;
        for (int i = 0; i < p.Length; i++) sum += p[i] = Math.Max(0, probabilities[i]);
        for (int i = 0; i < p.Length; i++) p[i] = sum > 0 ? p[i] / sum : 1.0 / p.Length;
        return p;
    }

    /// <summary>Entropy (nats) of a distribution.</summary>
    public static double Entropy(double[] p)
    {
        double h = 0;
        foreach (var v in p) if (v > 0) h -= v * Math.Log(v);
        return h;
    }

    /// <summary>
    /// The <paramref name="keep"/> rows of the largest <paramref name="score"/> (ties: the lower row first), in row order.
    /// </summary>
    public static int[] Top(double[] score, int keep)
    {
        var order = Enumerable.Range(0, score.Length).ToArray();
        Array.Sort(order, (a, b) => score[b] != score[a] ? score[b].CompareTo(score[a]) : a.CompareTo(b));
        var kept = order.AsSpan(0, keep).ToArray();
        Array.Sort(kept);
        return kept;
    }

    /// <summary>Rows kept for <paramref name="fraction"/> of <paramref name="rows"/>: at least one.</summary>
    public static int Kept(int rows, double fraction) => Math.Clamp((int)Math.Round(rows * fraction), 1, rows);
}
