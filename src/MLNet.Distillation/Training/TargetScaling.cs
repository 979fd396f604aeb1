namespace MLNet.Distillation.Training;

/// <summary>
/// The standardisation of a regression student's targets: per output, the mean and standard deviation of the labelled
/// training rows (of the teacher's outputs when no row has a label). The student trains on <c>(y − mean) / std</c> — the
/// teacher's outputs are scaled the same way — so that one learning rate fits targets of any unit; the exported student
/// undoes it in its last layer (<see cref="Fold"/>).
/// </summary>
internal sealed record TargetScaling(float[] Mean, float[] Std)
{
    /// <summary>Standard deviation below which an output is only centred, not scaled.</summary>
    private const double MinimumStd = 1e-8;

    /// <summary>Statistics of the rows <paramref name="use"/> selects among the first <paramref name="rows"/> of <paramref name="values"/>.</summary>
    public static TargetScaling Of(RowStore<float> values, int rows, Func<int, bool> use)
    {
        var moments = new ColumnMoments(values.Width);
        for (int r = 0; r < rows; r++)
            if (use(r)) moments.Add(values[r]);
        return Of(moments);
    }

    /// <summary>The scaling of the rows <paramref name="moments"/> has seen (none: mean 0, scale 1).</summary>
    public static TargetScaling Of(ColumnMoments moments)
    {
        var (mu, sd) = moments.MeanStd();
        var mean = mu.Select(m => (float)m).ToArray();
        var std = sd.Select(s => (float)(moments.Count > 0 && s > MinimumStd ? s : 1)).ToArray();
        return new TargetScaling(mean, std);
    }

    /// <summary>Standardises the first <paramref name="rows"/> rows of <paramref name="values"/> in place (those <paramref name="use"/> selects).</summary>
    public void Apply(RowStore<float> values, int rows, Func<int, bool> use)
    {
        for (int r = 0; r < rows; r++)
        {
            if (!use(r)) continue;
            var v = values[r];
            for (int j = 0; j < v.Length; j++) v[j] = (v[j] - Mean[j]) / Std[j];
        }
    }

    /// <summary>
    /// The output layer that predicts in the targets' own units: <c>W'[o,·] = std[o]·W[o,·]</c> and
    /// <c>b'[o] = std[o]·b[o] + mean[o]</c>.
    /// </summary>
    public (float[] Weights, float[] Bias) Fold(float[] weights, float[] bias, int inputs)
    {
        var w = new float[weights.Length];
        var b = new float[bias.Length];
        for (int o = 0; o < bias.Length; o++)
        {
            for (int i = 0; i < inputs; i++) w[o * inputs + i] = weights[o * inputs + i] * Std[o];
            b[o] = (float)((double)bias[o] * Std[o] + Mean[o]);
        }
        return (w, b);
    }
}
