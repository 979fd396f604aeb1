namespace MLNet.Distillation.Training;

/// <summary>
/// Running per-column sums and sums of squares (in double, rows added in order) of rows of a fixed width: the feature
/// standardisation and the regression target scaling, over rows in memory or as they stream past in one pass — the same
/// additions in the same order give the same statistics either way.
/// </summary>
internal sealed class ColumnMoments
{
    private readonly double[] _sum;
    private readonly double[] _sq;

    public ColumnMoments(int width)
    {
        _sum = new double[width];
        _sq = new double[width];
    }

    /// <summary>Rows added.</summary>
    public long Count { get; private set; }

    /// <summary>Adds one row.</summary>
    public void Add(ReadOnlySpan<float> row)
    {
        var (sum, sq) = (_sum, _sq);
        for (int j = 0; j < sum.Length; j++)
        {
            double v = row[j];
            sum[j] += v;
            sq[j] += v * v;
        }
        Count++;
    }

    /// <summary>Per-column mean and population standard deviation (0 and 0 with no rows).</summary>
    public (double[] Mean, double[] Std) MeanStd()
    {
        var mean = new double[_sum.Length];
        var std = new double[_sum.Length];
        if (Count == 0) return (mean, std);
        for (int j = 0; j < mean.Length; j++)
        {
            double mu = _sum[j] / Count;
            mean[j] = mu;
            std[j] = Math.Sqrt(Math.Max(0, _sq[j] / Count - mu * mu));
        }
        return (mean, std);
    }
}
