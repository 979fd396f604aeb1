using Microsoft.ML;
using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Training;

/// <summary>
/// <see cref="DataStrategy.Prune"/>: distillation on a kept fraction f of the training rows, with the distillation weight
/// tied to f as α(f) = 1 − f·(1 − α₁) (Ben-Baruch et al. 2024 find the best KD weight grows as fewer rows are kept).
/// </summary>
internal sealed class DataPruning : DataStrategy
{
    public DataPruning(double keepFraction, PruningCriterion criterion, bool keepHardest, double? fullDataDistillationWeight, double temperature)
    {
        if (!(keepFraction > 0 && keepFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(keepFraction), keepFraction, "DataStrategy.Prune: the kept fraction must lie in (0, 1], e.g. 0.3 to keep 30 % of the training rows.");
        if (!Enum.IsDefined(criterion))
            throw new ArgumentOutOfRangeException(nameof(criterion), criterion, "DataStrategy.Prune: the criterion must be Random, TeacherEntropy or TeacherMargin.");
        if (fullDataDistillationWeight is double a && !(a >= 0 && a <= 1))
            throw new ArgumentOutOfRangeException(nameof(fullDataDistillationWeight), a, "DataStrategy.Prune: the distillation weight at full data must lie in [0, 1] (null: do not tie the loss to the kept fraction).");
        if (!(temperature > 0) || double.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "DataStrategy.Prune: the temperature must be positive and finite (typical 1–4).");
        KeepFraction = keepFraction;
        Criterion = criterion;
        KeepHardest = keepHardest;
        FullDataDistillationWeight = fullDataDistillationWeight;
        Temperature = temperature;
    }

    public double KeepFraction { get; }
    public PruningCriterion Criterion { get; }
    public bool KeepHardest { get; }
    public double? FullDataDistillationWeight { get; }
    public double Temperature { get; }

    /// <summary>The tied distillation weight α(f) = 1 − f·(1 − α₁); null when not tied.</summary>
    public double? DistillationWeight => FullDataDistillationWeight is double a ? 1 - KeepFraction * (1 - a) : null;

    public override string Name => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"prune({KeepFraction:G3}, {Criterion}{(Criterion == PruningCriterion.Random ? "" : KeepHardest ? ", hardest" : ", easiest")}" +
        $"{(DistillationWeight is double w ? $", KD weight {w:G3}" : "")})");

    internal override void Validate(StudentOptions o, DistillationTask task)
    {
        base.Validate(o, task);
        bool teacher = TrainingSet.TeacherColumns(o).Length > 0;
        if (Criterion != PruningCriterion.Random && !teacher)
            throw new ArgumentException($"DataStrategy.Prune with {Criterion} ranks rows by the teacher, but StudentOptions.TeacherColumnName is not set. Set it, or prune with PruningCriterion.Random.", nameof(StudentOptions.DataStrategy));
        if (FullDataDistillationWeight is not null && !teacher)
            throw new ArgumentException("DataStrategy.Prune ties the distillation weight to the kept fraction, but StudentOptions.TeacherColumnName is not set. Set it, or pass fullDataDistillationWeight: null to prune a scratch fit.", nameof(StudentOptions.DataStrategy));
        if (FullDataDistillationWeight is not null && o.Loss is not null)
            throw new ArgumentException($"DataStrategy.Prune sets the loss to Hinton KD with the weight tied to the kept fraction ({DistillationWeight:G3}), but StudentOptions.Loss is set to '{o.Loss.Name}'. Leave Loss null, or pass fullDataDistillationWeight: null to keep your loss untied.", nameof(StudentOptions.Loss));
    }

    internal override DistillationLoss? DefaultLoss(StudentOptions o) => DistillationWeight is double w ? DistillationLoss.Hinton(Temperature, w) : null;

    internal override DataStrategyRun Start(StudentOptions o, IDataView trainData, IDataView? validationData, TrainingSet train, TrainingSet? validation, DistillationLoss loss) => new Run(this);

    private sealed class Run(DataPruning p) : DataStrategyRun(p)
    {
        public override TrainingSet Select(TrainingSet train, int seed) => train.Subset(Rows(p, train, seed));
    }

    /// <summary>The rows of <paramref name="train"/> the strategy keeps, in row order.</summary>
    internal static int[] Rows(DataPruning p, TrainingSet train, int seed)
    {
        int keep = RowScores.Kept(train.Rows, p.KeepFraction);
        if (p.Criterion == PruningCriterion.Random)
        {
            var rng = new Random(seed);
            var kept = Enumerable.Range(0, train.Rows).OrderBy(_ => rng.Next()).Take(keep).ToArray();
            Array.Sort(kept);
            return kept;
        }
        if (!train.HasTeacher)
            throw new ArgumentException($"DataStrategy.Prune with {p.Criterion} ranks rows by the teacher, but the training rows have no teacher column.");
        var hardness = new double[train.Rows];
        for (int r = 0; r < train.Rows; r++)
        {
            var prob = RowScores.TeacherProbabilities(train, r);
            hardness[r] = p.Criterion == PruningCriterion.TeacherEntropy ? RowScores.Entropy(prob) : -Margin(prob);
            if (!p.KeepHardest) hardness[r] = -hardness[r];
        }
        return RowScores.Top(hardness, keep);
    }

    private static double Margin(double[] p)
    {
        double first = double.NegativeInfinity, second = double.NegativeInfinity;
        foreach (var v in p)
        {
            if (v > first) (first, second) = (v, first);
            else if (v > second) second = v;
        }
        return p.Length < 2 ? 1 : first - second;
    }
}
