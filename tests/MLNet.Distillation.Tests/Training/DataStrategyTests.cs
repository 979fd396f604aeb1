using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Training;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Training;

/// <summary>The data strategies on tiny hand-made sets: which rows they keep, how they weight rows and domains, and their errors.</summary>
public class DataStrategyTests
{
    public sealed class Row
    {
        [KeyType(3)] public uint Label { get; set; }
        [VectorType(2)] public float[] Features { get; set; } = [];
        [VectorType(3)] public float[] Teacher { get; set; } = [];
        [VectorType(3)] public float[] Reference { get; set; } = [];
        public string Domain { get; set; } = "";
        public bool Ood { get; set; }
    }

    /// <summary>Teacher logits that give these probabilities (log p; zeros become −30).</summary>
    private static float[] Logits(params double[] p) => p.Select(v => v > 0 ? (float)Math.Log(v) : -30f).ToArray();

    private static Row R(uint label, double[] teacher, string domain = "a", bool ood = false, double[]? reference = null, float x = 0)
        => new() { Label = label, Features = [x, 1 - x], Teacher = Logits(teacher), Reference = (reference ?? [1 / 3.0, 1 / 3.0, 1 / 3.0]).Select(v => (float)v).ToArray(), Domain = domain, Ood = ood };

    private static StudentOptions Options(DataStrategy? strategy = null) => new()
    {
        TeacherColumnName = "Teacher", HiddenLayers = [4], Epochs = 2, MinimumSteps = 0, BatchSize = 4, Seed = 1, DataStrategy = strategy,
    };

    private static (IDataView Data, TrainingSet Set) Load(MLContext ml, IEnumerable<Row> rows, StudentOptions? o = null)
    {
        var data = ml.Data.LoadFromEnumerable(rows.ToList());
        return (data, TrainingSet.Load(data, o ?? Options()));
    }

    // Entropy and margin disagree: row 1 has a zero margin but a lower entropy than row 5.
    private static readonly Row[] Six =
    [
        R(0, [0.98, 0.01, 0.01]),      // 0: easy
        R(1, [0.5, 0.5, 0.0]),         // 1: margin 0, entropy 0.69
        R(2, [1 / 3.0, 1 / 3.0, 1 / 3.0]), // 2: margin 0, entropy 1.10
        R(0, [0.4, 0.35, 0.25]),       // 3: margin 0.05, entropy 1.08
        R(1, [0.9, 0.05, 0.05]),       // 4: margin 0.85
        R(2, [0.7, 0.2, 0.1]),         // 5: margin 0.5, entropy 0.80
    ];

    [Fact]
    public void PruningKeepsTheRightRowsForEachCriterion()
    {
        var (_, set) = Load(new MLContext(1), Six);
        int[] Kept(PruningCriterion c, bool hardest, double f = 0.5) => DataPruning.Rows((DataPruning)DataStrategy.Prune(f, c, hardest), set, seed: 3);

        Assert.Equal([2, 3, 5], Kept(PruningCriterion.TeacherEntropy, true));    // entropies 1.10, 1.08, 0.80
        Assert.Equal([0, 1, 4], Kept(PruningCriterion.TeacherEntropy, false));   // 0.11, 0.69, 0.39
        Assert.Equal([1, 2], Kept(PruningCriterion.TeacherMargin, true, 2 / 6.0));   // the two zero margins
        Assert.Equal([1, 2, 3], Kept(PruningCriterion.TeacherMargin, true));
        Assert.Equal([0, 4], Kept(PruningCriterion.TeacherMargin, false, 2 / 6.0));
        Assert.Equal([2], Kept(PruningCriterion.TeacherEntropy, true, 1 / 6.0));      // entropy: the uniform row, not the 50/50 one
        Assert.Equal([1, 2], Kept(PruningCriterion.TeacherMargin, true, 1.5 / 6.0)); // round(1.5) = 2

        var random = Kept(PruningCriterion.Random, true);
        Assert.Equal(3, random.Distinct().Count());
        Assert.Equal(random, Kept(PruningCriterion.Random, true));   // seeded
        Assert.Single(Kept(PruningCriterion.Random, true, 0.01));    // at least one row
    }

    [Fact]
    public void PruningTiesTheDistillationWeightToTheKeptFractionAndReportsTheSavedSteps()
    {
        var prune = (DataPruning)DataStrategy.Prune(0.3, PruningCriterion.TeacherEntropy, fullDataDistillationWeight: 0.5, temperature: 2);
        Assert.Equal(1 - 0.3 * 0.5, prune.DistillationWeight!.Value, 12);
        using var loss = (HintonLoss)prune.DefaultLoss(Options(prune))!;
        Assert.Equal(0.85, loss.Alpha, 12);
        Assert.Equal(2, loss.Temperature);
        Assert.Null(((DataPruning)DataStrategy.Prune(0.3, fullDataDistillationWeight: null)).DefaultLoss(Options()));

        var ml = new MLContext(1);
        var rows = Enumerable.Range(0, 40).Select(i => R((uint)(i % 3), i % 2 == 0 ? [0.8, 0.1, 0.1] : [0.4, 0.3, 0.3], x: i / 40f)).ToList();
        var student = ml.MulticlassClassification.Trainers.Student(Options(DataStrategy.Prune(0.25, PruningCriterion.TeacherEntropy))).Fit(ml.Data.LoadFromEnumerable(rows));
        var report = student.History[^1].DataStrategy!;
        Assert.Equal(40, report.TrainingRows);
        Assert.Equal(10, report.RowsUsed);
        Assert.Equal(10, report.TeacherRowsUsed);
        Assert.Equal(2 * 3, report.Steps);                 // 2 epochs × ⌈10 / 4⌉
        Assert.Equal(2 * 10, report.StepsWithoutStrategy); // 2 epochs × 40 / 4
        Assert.StartsWith("hinton(T=1,a=0.875)", student.LossName);
    }

    [Fact]
    public void DomainWeightsMoveTowardTheDomainWithTheLargerGapAndAreSmoothed()
    {
        var next = DomainReweighting.Update([0.5, 0.5], [1.0, 3.0], smoothing: 0.5);
        Assert.Equal(1, next.Sum(), 12);
        Assert.True(next[1] > 0.5 && next[0] < 0.5);
        Assert.Equal(0.5 * Math.Exp(3) / (Math.Exp(1) + Math.Exp(3)) + 0.25, next[1], 12);
        var extreme = DomainReweighting.Update([0.5, 0.5], [0.0, 500.0], smoothing: 0.5);
        Assert.Equal(0.25, extreme[0], 9);                 // never below (1 − s)/N
        Assert.Equal([0.5, 0.5], DomainReweighting.Update([0.5, 0.5], [2.0, 2.0], 0.3), new ToleranceComparer(1e-12));
        var remembered = DomainReweighting.Update(next, [2.0, 2.0], 1.0);   // equal gaps keep the weights when s = 1
        Assert.Equal(next, remembered, new ToleranceComparer(1e-12));
    }

    [Fact]
    public void DomainReweightingMeasuresTheGapPerDomainOnValidationRowsAndSamplesByIt()
    {
        var ml = new MLContext(1);
        var train = Enumerable.Range(0, 20).Select(i => R((uint)(i % 3), [0.8, 0.1, 0.1], domain: i < 10 ? "a" : "b")).ToList();
        // Validation: the teacher is right everywhere; the student (logits below) is right on domain a, wrong on domain b.
        var validation = Enumerable.Range(0, 6).Select(i => R(0, [0.9, 0.05, 0.05], domain: i < 3 ? "a" : "b")).ToList();
        var o = Options(DataStrategy.DomainReweighting("Domain", 0.5));
        var (trainData, trainSet) = Load(ml, train, o);
        var validationData = ml.Data.LoadFromEnumerable(validation);
        var validationSet = TrainingSet.Load(validationData, o, reference: trainSet);
        using var loss = DistillationLoss.Hinton(1, 0.5);
        var run = o.DataStrategy!.Start(o, trainData, validationData, trainSet, validationSet, loss);

        var logits = new float[6 * 3];
        for (int r = 0; r < 6; r++) logits[r * 3 + (r < 3 ? 0 : 1)] = 5;
        run.AfterEpoch(validationSet, logits, 0, _ => { });
        var weights = run.Describe(new DataStrategyReport { Strategy = "x" }).DomainWeights;
        Assert.True(weights["b"] > 0.7, $"b: {weights["b"]}");
        Assert.True(weights["a"] >= 0.25 - 1e-12);

        var order = new int[2000];
        run.Resample(order, new Random(1));
        double fromB = order.Count(r => r >= 10) / (double)order.Length;
        Assert.InRange(fromB, weights["b"] - 0.04, weights["b"] + 0.04);
    }

    [Fact]
    public void ReferenceSelectionKeepsTheRowsWithTheLargestTeacherReferenceDifference()
    {
        var rows = new[]
        {
            R(0, [0.9, 0.05, 0.05], reference: [0.9, 0.05, 0.05]),  // 0: both sure: difference 0
            R(0, [0.9, 0.05, 0.05], reference: [0.1, 0.45, 0.45]),  // 1: teacher sure, reference not: log 9
            R(1, [0.2, 0.6, 0.2], reference: [0.3, 0.3, 0.4]),      // 2: log 2
            R(2, [0.5, 0.4, 0.1], reference: [0.1, 0.1, 0.8]),      // 3: label 2: log(0.1 / 0.8) < 0; teacher's class 0: log 5
        };
        var ml = new MLContext(1);
        var o = Options(DataStrategy.ReferenceSelection("Reference", 0.5));
        var (data, set) = Load(ml, rows, o);
        using var loss = DistillationLoss.Hinton(1, 0.5);
        TrainingSet Kept(ReferenceScore score) => DataStrategy.ReferenceSelection("Reference", 0.5, score).Start(o, data, null, set, null, loss).Select(set, 1);

        var byLabel = Kept(ReferenceScore.LabelLikelihood);
        Assert.Equal([1, 2], Enumerable.Range(0, byLabel.Rows).Select(byLabel.DataRow));
        var byTeacher = Kept(ReferenceScore.TeacherPrediction);
        Assert.Equal([1, 3], Enumerable.Range(0, byTeacher.Rows).Select(byTeacher.DataRow));
        Assert.Equal(Math.Log(9), ReferenceSelection.Difference(ReferenceScore.LabelLikelihood, set, 1, [0.1f, 0.45f, 0.45f], TeacherOutputKind.Probabilities), 5);
        // Reference logits are read through a softmax.
        Assert.Equal(TeacherOutputKind.Logits, ReferenceSelection.ReferenceKind([2f, -1f, 0f], 3));
        Assert.Equal(TeacherOutputKind.Probabilities, ReferenceSelection.ReferenceKind([0.2f, 0.3f, 0.5f], 3));
    }

    [Fact]
    public void OutOfDomainWeightingDownWeightsTheFlaggedRowsTheTeacherIsUnsureOf()
    {
        // In-domain entropies around 0.3; out-of-domain rows at 0.3 (typical) and at 1.0 (far out).
        double[] entropy = [0.28, 0.30, 0.32, 0.29, 0.31, 0.30, 1.0, 0.3];
        bool[] flagged = [false, false, false, false, false, true, true, false];
        var w = OutOfDomainWeighting.Weights(entropy, flagged, classes: 3, k: 1.345, flagColumn: "Ood");
        Assert.Equal(1f, w[5]);                                     // flagged but typical: kept
        Assert.InRange(w[6], 0.0001f, 0.5f);                         // flagged and far out: down-weighted
        Assert.All(w.Where((_, r) => !flagged[r]), v => Assert.Equal(1f, v));
        double scale = Math.Max(1.4826 * 0.01, 0.01 * Math.Log(3));   // MAD of the in-domain rows = 0.01
        Assert.Equal(1.345 / ((1.0 - 0.30) / scale), w[6], 5);

        var ml = new MLContext(1);
        var rows = Enumerable.Range(0, 12).Select(i => R((uint)(i % 3), i < 8 ? [0.9, 0.05, 0.05] : i < 10 ? [0.9, 0.05, 0.05] : [0.34, 0.33, 0.33], ood: i >= 8, x: i / 12f)).ToList();
        var strategy = DataStrategy.OutOfDomainWeighting("Ood");
        var o = Options(strategy);
        var (data, set) = Load(ml, rows, o);
        using var loss = DistillationLoss.Hinton(1, 0.5);
        var run = strategy.Start(o, data, null, set, null, loss);
        Assert.Equal([1f, 1f], run.RowWeights![8..10]);
        Assert.All(run.RowWeights![10..12], v => Assert.True(v < 0.2f, $"{v}"));
        var report = run.Describe(new DataStrategyReport { Strategy = strategy.Name });
        Assert.Equal(4, report.OutOfDomainRows);

        var student = ml.MulticlassClassification.Trainers.Student(Options(strategy)).Fit(data);
        Assert.Equal(4, student.History[^1].DataStrategy!.OutOfDomainRows);
    }

    [Fact]
    public void RowWeightsScaleEachRowsLossInTheLossesThatHonourThem()
    {
        using var scope = NewDisposeScope();
        var student = tensor(new float[] { 1, 0, 0, 0, 2, 0 }, [2, 3]);
        var teacher = tensor(new float[] { 0, 1, 0, 0, 0, 3 }, [2, 3]);
        var labels = tensor(new long[] { 0, -1 });
        LossContext Context(float[]? w) => new() { StudentLogits = student, Teacher = teacher, Labels = labels, RowWeights = w is null ? null : tensor(w) };
        foreach (var loss in new DistillationLoss[] { DistillationLoss.Hinton(2, 0.5), DistillationLoss.TeacherCorrected(1, 0.5), DistillationLoss.CrossEntropy() })
        {
            using var _ = loss;
            Assert.True(loss.SupportsRowWeights);
            double plain = loss.Compute(Context(null)).Total.item<float>();
            Assert.Equal(plain, loss.Compute(Context([1, 1])).Total.item<float>(), 5);
            double first = loss.Compute(Context([1, 0])).Total.item<float>(), second = loss.Compute(Context([0, 1])).Total.item<float>();
            Assert.Equal(plain, first + second, 5);
            Assert.Equal(first + 0.5 * second, loss.Compute(Context([1, 0.5f])).Total.item<float>(), 5);
        }
        using var mse = DistillationLoss.LogitMse();
        Assert.False(mse.SupportsRowWeights);
    }

    [Fact]
    public void BadOptionsGiveClearErrors()
    {
        Assert.Contains("(0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => DataStrategy.Prune(0)).Message);
        Assert.Contains("(0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => DataStrategy.Prune(1.5)).Message);
        Assert.Contains("[0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => DataStrategy.Prune(0.5, fullDataDistillationWeight: 2)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => DataStrategy.Prune(0.5, temperature: 0));
        Assert.Throws<ArgumentException>(() => DataStrategy.DomainReweighting(" "));
        Assert.Contains("(0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => DataStrategy.DomainReweighting("Domain", 0)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => DataStrategy.ReferenceSelection("Reference", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => DataStrategy.OutOfDomainWeighting(huberK: 0));

        var ml = new MLContext(1);
        var e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(new StudentOptions { DataStrategy = DataStrategy.Prune(0.5, PruningCriterion.TeacherEntropy) }));
        Assert.Contains("TeacherColumnName", e.Message);
        e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(new StudentOptions { TeacherColumnName = "Teacher", Loss = DistillationLoss.Hinton(), DataStrategy = DataStrategy.Prune(0.5) }));
        Assert.Contains("StudentOptions.Loss", e.Message);
        Assert.Contains("fullDataDistillationWeight: null", e.Message);
        e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.AutoDistill(new MLNet.Distillation.Search.AutoDistillOptions { Student = new StudentOptions { TeacherColumnName = "Teacher", DataStrategy = DataStrategy.Prune(0.5) } }));
        Assert.Contains("AutoDistill does not apply data strategies", e.Message);
        e = Assert.Throws<ArgumentException>(() => ml.BinaryClassification.Trainers.Student(new StudentOptions { DataStrategy = DataStrategy.Prune(0.5, fullDataDistillationWeight: null) }));
        Assert.Contains("multiclass", e.Message);

        var data = ml.Data.LoadFromEnumerable(Six.ToList());
        e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(Options(DataStrategy.DomainReweighting("Domain"))).Fit(data));
        Assert.Contains("ValidationFraction", e.Message);
        e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(Options(DataStrategy.DomainReweighting("Region"))).Fit(data, data));
        Assert.Contains("'Region' was not found", e.Message);
        e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(Options(DataStrategy.OutOfDomainWeighting("Domain"))).Fit(data));
        Assert.Contains("must be Boolean", e.Message);
        e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(Options(DataStrategy.OutOfDomainWeighting())).Fit(data));
        Assert.Contains("no out-of-domain row", e.Message);
        var withLoss = Options(DataStrategy.OutOfDomainWeighting("Ood"));
        withLoss.Loss = DistillationLoss.LogitMse();
        var flagged = ml.Data.LoadFromEnumerable(Six.Select((r, i) => { r.Ood = i == 5; return r; }).ToList());
        e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(withLoss).Fit(flagged));
        Assert.Contains("ignores LossContext.RowWeights", e.Message);
        e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(Options(DataStrategy.ReferenceSelection("Features", 0.5))).Fit(data));
        Assert.Contains("2 values per row", e.Message);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
