using Microsoft.ML;
using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Training;

/// <summary>
/// <see cref="DataStrategy.OutOfDomainWeighting"/>: Huber weights (Huber 1964) on a robust z-score of the teacher's
/// entropy. Against the in-domain rows' median entropy m and scale σ = max(1.4826·MAD, 0.01·ln K), an out-of-domain row
/// with entropy H has z = (H − m)/σ and loss weight min(1, k/z) (1 for z ≤ k); in-domain rows weigh 1.
/// </summary>
internal sealed class OutOfDomainWeighting : DataStrategy
{
    public OutOfDomainWeighting(string? flagColumnName, double huberK)
    {
        if (flagColumnName is not null && string.IsNullOrWhiteSpace(flagColumnName))
            throw new ArgumentException("DataStrategy.OutOfDomainWeighting: the flag column name is blank; pass the Boolean column's name, or null to treat the unlabelled rows as out of domain.", nameof(flagColumnName));
        if (!(huberK > 0) || double.IsInfinity(huberK))
            throw new ArgumentOutOfRangeException(nameof(huberK), huberK, "DataStrategy.OutOfDomainWeighting: Huber's constant k must be positive and finite (1.345 is the usual choice).");
        FlagColumnName = flagColumnName;
        HuberK = huberK;
    }

    public string? FlagColumnName { get; }
    public double HuberK { get; }

    public override string Name => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"out-of-domain-weighting({FlagColumnName ?? "unlabelled rows"}, k={HuberK:G4})");

    internal override void Validate(StudentOptions o, DistillationTask task)
    {
        base.Validate(o, task);
        if (TrainingSet.TeacherColumns(o).Length == 0)
            throw new ArgumentException("DataStrategy.OutOfDomainWeighting weighs rows by the teacher's entropy, but StudentOptions.TeacherColumnName is not set.", nameof(StudentOptions.DataStrategy));
    }

    internal override DataStrategyRun Start(StudentOptions o, IDataView trainData, IDataView? validationData, TrainingSet train, TrainingSet? validation, DistillationLoss loss)
    {
        var flags = FlagColumnName is null ? null : StrategyColumn.Flags(trainData, FlagColumnName, "Out-of-domain flag");
        var outOfDomain = new bool[train.Rows];
        for (int r = 0; r < train.Rows; r++)
        {
            if (flags is null) outOfDomain[r] = train.Label(r) < 0;
            else
            {
                int row = train.DataRow(r);
                if (row >= flags.Length) StrategyColumn.CheckRows(flags.Length, row + 1, FlagColumnName!, "Out-of-domain flag");
                outOfDomain[r] = flags[row];
            }
        }
        var entropy = new double[train.Rows];
        for (int r = 0; r < train.Rows; r++) entropy[r] = RowScores.Entropy(RowScores.TeacherProbabilities(train, r));
        var weights = Weights(entropy, outOfDomain, train.ClassCount, HuberK, FlagColumnName);
        return new Run(this, weights, outOfDomain);
    }

    /// <summary>The loss weight of each row: Huber's weight of its robust entropy z-score when out of domain, 1 otherwise.</summary>
    internal static float[] Weights(double[] entropy, bool[] outOfDomain, int classes, double k, string? flagColumn)
    {
        var inDomain = entropy.Where((_, r) => !outOfDomain[r]).ToArray();
        string what = flagColumn is null ? "labelled rows (the in-domain rows when no flag column is given)" : $"rows with '{flagColumn}' false";
        if (inDomain.Length == 0)
            throw new ArgumentException($"DataStrategy.OutOfDomainWeighting measures out-of-domain rows against the in-domain ones, but no training row is in domain: there are no {what}.");
        if (inDomain.Length == entropy.Length)
            throw new ArgumentException($"DataStrategy.OutOfDomainWeighting found no out-of-domain row ({(flagColumn is null ? "every training row has a label" : $"'{flagColumn}' is false on every training row")}); there is nothing to weight. Remove the strategy, or flag the out-of-domain rows.");
        double median = Median(inDomain);
        double mad = Median(inDomain.Select(h => Math.Abs(h - median)).ToArray());
        double scale = Math.Max(1.4826 * mad, 0.01 * Math.Log(Math.Max(2, classes)));
        var weights = new float[entropy.Length];
        for (int r = 0; r < entropy.Length; r++)
        {
            double z = (entropy[r] - median) / scale;
            weights[r] = !outOfDomain[r] || z <= k ? 1f : (float)(k / z);
        }
        return weights;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private sealed class Run(OutOfDomainWeighting s, float[] weights, bool[] outOfDomain) : DataStrategyRun(s)
    {
        public override float[]? RowWeights => weights;

        public override DataStrategyReport Describe(DataStrategyReport report)
        {
            int n = outOfDomain.Count(f => f);
            double sum = 0;
            for (int r = 0; r < weights.Length; r++) if (outOfDomain[r]) sum += weights[r];
            return report with { OutOfDomainRows = n, MeanOutOfDomainWeight = n == 0 ? double.NaN : sum / n };
        }
    }
}
