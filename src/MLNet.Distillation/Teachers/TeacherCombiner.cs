using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Teachers;

/// <summary>The arithmetic of <see cref="TeacherCombination"/> for one row: K values per teacher in, K values out.</summary>
internal sealed class TeacherCombiner
{
    private readonly TeacherOutputKind[] _kinds;
    private readonly double[] _weights;
    private readonly TeacherCombination _combination;
    private readonly double[] _sum;
    private readonly double[] _scratch;

    public TeacherCombiner(TeacherOutputKind[] kinds, double[] weights, TeacherCombination combination, int classes)
    {
        _kinds = kinds;
        _weights = weights;
        _combination = combination;
        _sum = new double[classes];
        _scratch = new double[classes];
    }

    /// <summary>Kind of the combined column.</summary>
    public TeacherOutputKind OutputKind => _combination == TeacherCombination.ProbabilityMean ? TeacherOutputKind.Probabilities : TeacherOutputKind.Logits;

    /// <summary>Combines <paramref name="teachers"/>[i] (K values each) into <paramref name="output"/>.</summary>
    public void Combine(float[][] teachers, Span<float> output)
    {
        Array.Clear(_sum);
        for (int i = 0; i < teachers.Length; i++)
        {
            var t = teachers[i];
            if (_combination == TeacherCombination.ProbabilityMean)
            {
                if (_kinds[i] == TeacherOutputKind.Probabilities) for (int k = 0; k < t.Length; k++) _scratch[k] = t[k];
                else Softmax(t, _scratch);
            }
            else
            {
                if (_kinds[i] == TeacherOutputKind.Logits) for (int k = 0; k < t.Length; k++) _scratch[k] = t[k];
                else for (int k = 0; k < t.Length; k++) _scratch[k] = Math.Log(Math.Max(t[k], 1e-30));
            }
            for (int k = 0; k < _sum.Length; k++) _sum[k] += _weights[i] * _scratch[k];
        }
        for (int k = 0; k < _sum.Length; k++) output[k] = (float)_sum[k];
    }

    private static void Softmax(ReadOnlySpan<float> logits, double[] result)
    {
        double max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        double total = 0;
        for (int k = 0; k < logits.Length; k++) total += result[k] = Math.Exp(logits[k] - max);
        for (int k = 0; k < logits.Length; k++) result[k] /= total;
    }
}
