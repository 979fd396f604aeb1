using Microsoft.ML;
using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Training;

/// <summary>
/// <see cref="DataStrategy.DomainReweighting"/>: DDK's domain-knowledge-guided sampling (Liu et al. 2024) for a
/// classifier. Each epoch draws its rows domain by domain with weights r; after each epoch the per-domain gap
/// v[i] = ℓ_S[i] / ℓ_T[i] (student over teacher cross-entropy on the labelled validation rows of domain i) moves them by
/// DDK's factor-smooth update r[i] ← s·r[i]e^{v[i]} / Σⱼ r[j]e^{v[j]} + (1 − s)/N.
/// </summary>
internal sealed class DomainReweighting : DataStrategy
{
    public DomainReweighting(string domainColumnName, double smoothing)
    {
        if (string.IsNullOrWhiteSpace(domainColumnName))
            throw new ArgumentException("DataStrategy.DomainReweighting needs the name of the column that gives each row's domain.", nameof(domainColumnName));
        if (!(smoothing > 0 && smoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "DataStrategy.DomainReweighting: the smoothing s must lie in (0, 1]; 1 − s of the weight is spread uniformly over the domains (DDK's factor-smooth update).");
        DomainColumnName = domainColumnName;
        Smoothing = smoothing;
    }

    public string DomainColumnName { get; }
    public double Smoothing { get; }

    public override string Name => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"domain-reweighting({DomainColumnName}, s={Smoothing:G3})");

    internal override void Validate(StudentOptions o, DistillationTask task)
    {
        base.Validate(o, task);
        if (TrainingSet.TeacherColumns(o).Length == 0)
            throw new ArgumentException("DataStrategy.DomainReweighting weighs domains by the teacher–student gap, but StudentOptions.TeacherColumnName is not set.", nameof(StudentOptions.DataStrategy));
    }

    internal override DataStrategyRun Start(StudentOptions o, IDataView trainData, IDataView? validationData, TrainingSet train, TrainingSet? validation, DistillationLoss loss)
    {
        if (validation is null)
            throw new ArgumentException($"DataStrategy.DomainReweighting measures the teacher–student gap of each domain on validation rows, and this fit has none. Call Fit(train, validation) with validation rows that have column '{DomainColumnName}', or set StudentOptions.ValidationFraction (e.g. 0.1).", nameof(StudentOptions.DataStrategy));
        var names = new List<string>();
        var trainDomains = StrategyColumn.Domains(trainData, DomainColumnName, "Domain", names);
        int[] validationDomains;
        if (validation.SharesRowsWith(train)) validationDomains = trainDomains;
        else
        {
            int known = names.Count;
            validationDomains = StrategyColumn.Domains(validationData!, DomainColumnName, "Domain", names);
            if (names.Count > known)
                throw new ArgumentException($"Validation rows have domain '{names[known]}' in column '{DomainColumnName}', which no training row has; every validation domain must be a training domain.");
        }
        return new Run(this, names, trainDomains, validationDomains, train, validation);
    }

    /// <summary>DDK's factor-smooth update of <paramref name="weights"/> by the gaps <paramref name="gaps"/> (NaN: a domain not measured, left out of the exponent).</summary>
    internal static double[] Update(double[] weights, double[] gaps, double smoothing)
    {
        int n = weights.Length;
        double max = gaps.Where(double.IsFinite).DefaultIfEmpty(0).Max();
        var psi = new double[n];
        for (int i = 0; i < n; i++) psi[i] = weights[i] * Math.Exp((double.IsFinite(gaps[i]) ? gaps[i] : max) - max);
        double sum = psi.Sum();
        var next = new double[n];
        for (int i = 0; i < n; i++) next[i] = smoothing * psi[i] / sum + (1 - smoothing) / n;
        return next;
    }

    private sealed class Run : DataStrategyRun
    {
        private readonly DomainReweighting _d;
        private readonly string[] _names;            // the domains with training rows
        private readonly int[][] _rowsOf;            // rows of the training set in each domain
        private readonly int[] _validationDomain;    // domain (index into _names, -1: none) of each validation row
        private double[] _weights;
        private long _scored;

        public Run(DomainReweighting d, List<string> names, int[] trainDomains, int[] validationDomains, TrainingSet train, TrainingSet validation) : base(d)
        {
            _d = d;
            var rows = names.Select(_ => new List<int>()).ToArray();
            for (int r = 0; r < train.Rows; r++) rows[trainDomains[train.DataRow(r)]].Add(r);
            var present = Enumerable.Range(0, names.Count).Where(i => rows[i].Count > 0).ToArray();
            var position = Enumerable.Repeat(-1, names.Count).ToArray();
            for (int i = 0; i < present.Length; i++) position[present[i]] = i;
            _names = present.Select(i => names[i]).ToArray();
            _rowsOf = present.Select(i => rows[i].ToArray()).ToArray();
            _validationDomain = new int[validation.Rows];
            var labelled = new int[_names.Length];
            for (int r = 0; r < validation.Rows; r++)
            {
                int domain = position[validationDomains[validation.DataRow(r)]];
                _validationDomain[r] = domain;
                if (domain >= 0 && validation.Label(r) >= 0) labelled[domain]++;
            }
            if (_names.Length < 2)
                throw new ArgumentException($"DataStrategy.DomainReweighting found {_names.Length} domain in column '{d.DomainColumnName}' among the training rows; it needs at least two.");
            for (int i = 0; i < _names.Length; i++)
                if (labelled[i] == 0)
                    throw new ArgumentException($"Domain '{_names[i]}' (column '{d.DomainColumnName}') has no labelled validation row, so its teacher–student gap cannot be measured. Give it validation rows with labels, or merge it with another domain.");
            if (!validation.HasTeacher)
                throw new ArgumentException("DataStrategy.DomainReweighting needs the teacher column on the validation rows to measure the teacher's loss.");
            _weights = Enumerable.Repeat(1.0 / _names.Length, _names.Length).ToArray();
        }

        public IReadOnlyList<double> Weights => _weights;

        public override bool Resamples => true;

        public override void Resample(int[] order, Random rng)
        {
            var cumulative = new double[_weights.Length];
            double sum = 0;
            for (int i = 0; i < _weights.Length; i++) cumulative[i] = sum += _weights[i];
            for (int k = 0; k < order.Length; k++)
            {
                double u = rng.NextDouble() * sum;
                int d = Array.FindIndex(cumulative, c => u < c);
                if (d < 0) d = cumulative.Length - 1;
                var rows = _rowsOf[d];
                order[k] = rows[rng.Next(rows.Length)];
            }
        }

        public override bool NeedsValidationOutputs => true;

        public override void AfterEpoch(TrainingSet validation, float[] validationLogits, int epoch, Action<string> log)
        {
            int k = validation.ClassCount, n = _names.Length;
            var student = new double[n];
            var teacher = new double[n];
            var count = new int[n];
            for (int r = 0; r < validation.Rows; r++)
            {
                int d = _validationDomain[r], y = validation.Label(r);
                if (d < 0 || y < 0) continue;
                var ps = RowScores.Softmax(validationLogits.AsSpan(r * k, k));
                var pt = RowScores.TeacherProbabilities(validation, r);
                student[d] -= Math.Log(Math.Max(ps[y], 1e-12));
                teacher[d] -= Math.Log(Math.Max(pt[y], 1e-12));
                count[d]++;
            }
            _scored += validation.Rows;
            var gaps = new double[n];
            for (int i = 0; i < n; i++) gaps[i] = count[i] == 0 ? double.NaN : (student[i] / count[i]) / Math.Max(teacher[i] / count[i], 1e-6);
            _weights = Update(_weights, gaps, _d.Smoothing);
        }

        public override DataStrategyReport Describe(DataStrategyReport report) => report with
        {
            DomainWeights = _names.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => _weights[p.i]),
            ExtraStudentRows = _scored,
        };
    }
}
