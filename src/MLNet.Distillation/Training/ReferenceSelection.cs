using Microsoft.ML;
using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Training;

/// <summary>
/// <see cref="DataStrategy.ReferenceSelection"/>: MiniPLM's difference sampling (Gu et al. 2024) for a classifier — each
/// training row scores <c>log p_T(y | x) − log p_R(y | x)</c> with a small reference model R, and the rows with the largest
/// difference (what the teacher knows and the reference does not) are kept.
/// </summary>
internal sealed class ReferenceSelection : DataStrategy
{
    public ReferenceSelection(string referenceColumnName, double keepFraction, ReferenceScore score)
    {
        if (string.IsNullOrWhiteSpace(referenceColumnName))
            throw new ArgumentException("DataStrategy.ReferenceSelection needs the name of the column with the reference model's outputs.", nameof(referenceColumnName));
        if (!(keepFraction > 0 && keepFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(keepFraction), keepFraction, "DataStrategy.ReferenceSelection: the kept fraction must lie in (0, 1], e.g. 0.5 to keep half of the training rows.");
        if (!Enum.IsDefined(score))
            throw new ArgumentOutOfRangeException(nameof(score), score, "DataStrategy.ReferenceSelection: the score must be LabelLikelihood or TeacherPrediction.");
        ReferenceColumnName = referenceColumnName;
        KeepFraction = keepFraction;
        Score = score;
    }

    public string ReferenceColumnName { get; }
    public double KeepFraction { get; }
    public ReferenceScore Score { get; }

    public override string Name => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"reference-selection({ReferenceColumnName}, {KeepFraction:G3}, {Score})");

    internal override void Validate(StudentOptions o, DistillationTask task)
    {
        base.Validate(o, task);
        if (TrainingSet.TeacherColumns(o).Length == 0)
            throw new ArgumentException("DataStrategy.ReferenceSelection scores rows by the teacher's log-likelihood minus the reference model's, but StudentOptions.TeacherColumnName is not set.", nameof(StudentOptions.DataStrategy));
    }

    internal override DataStrategyRun Start(StudentOptions o, IDataView trainData, IDataView? validationData, TrainingSet train, TrainingSet? validation, DistillationLoss loss)
    {
        int k = train.ClassCount;
        var reference = StrategyColumn.Vectors(trainData, ReferenceColumnName, "Reference", k);
        int rows = reference.Length / k;
        for (int r = 0; r < train.Rows; r++)
            if (train.DataRow(r) >= rows) StrategyColumn.CheckRows(rows, train.DataRow(r) + 1, ReferenceColumnName, "Reference");
        return new Run(this, reference, ReferenceKind(reference, k));
    }

    /// <summary>Probabilities when every row is non-negative and sums to 1 (±0.001); logits otherwise.</summary>
    internal static TeacherOutputKind ReferenceKind(float[] values, int k)
    {
        for (int start = 0; start < values.Length; start += k)
        {
            double sum = 0;
            for (int j = 0; j < k; j++)
            {
                if (values[start + j] < 0) return TeacherOutputKind.Logits;
                sum += values[start + j];
            }
            if (Math.Abs(sum - 1) > 1e-3) return TeacherOutputKind.Logits;
        }
        return TeacherOutputKind.Probabilities;
    }

    /// <summary>The difference score of row <paramref name="row"/> of <paramref name="train"/>.</summary>
    internal static double Difference(ReferenceScore score, TrainingSet train, int row, ReadOnlySpan<float> reference, TeacherOutputKind referenceKind)
    {
        var pt = RowScores.TeacherProbabilities(train, row);
        int y = score == ReferenceScore.LabelLikelihood && train.Label(row) >= 0 ? train.Label(row) : ArgMax(pt);
        double pr = referenceKind == TeacherOutputKind.Probabilities ? reference[y] : RowScores.Softmax(reference)[y];
        return Math.Log(Math.Max(pt[y], 1e-12)) - Math.Log(Math.Max(pr, 1e-12));
    }

    private static int ArgMax(double[] p)
    {
        int best = 0;
        for (int i = 1; i < p.Length; i++) if (p[i] > p[best]) best = i;
        return best;
    }

    private sealed class Run(ReferenceSelection s, float[] reference, TeacherOutputKind kind) : DataStrategyRun(s)
    {
        public override TrainingSet Select(TrainingSet train, int seed)
        {
            int k = train.ClassCount;
            var score = new double[train.Rows];
            for (int r = 0; r < train.Rows; r++) score[r] = Difference(s.Score, train, r, reference.AsSpan(train.DataRow(r) * k, k), kind);
            return train.Subset(RowScores.Top(score, RowScores.Kept(train.Rows, s.KeepFraction)));
        }
    }
}
