using System.Collections;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Search;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Tests.Tasks;
using MLNet.Distillation.Training;
using TorchSharp;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Training;

/// <summary>
/// Streaming training (<see cref="StudentOptions.Streaming"/>): every row once per epoch through a shuffle buffer that
/// shuffles, the first pass's statistics equal to the in-memory ones, the step budget, the same accuracy, and refusals.
/// </summary>
public class StreamingTests
{
    public sealed class IdRow
    {
        [VectorType(3)] public float[] Features { get; set; } = [];
        [KeyType(3)] public uint Label { get; set; }
    }

    /// <summary>Row i: features [i, sin i, i mod 3], label i mod 3 — the first feature names the row.</summary>
    private static IEnumerable<IdRow> Rows(int n)
    {
        for (int i = 0; i < n; i++) yield return new IdRow { Features = [i, MathF.Sin(i), i % 3], Label = (uint)(i % 3 + 1) };
    }

    /// <summary>A list: ML.NET knows its row count.</summary>
    private static IDataView Listed(MLContext ml, int n) => ml.Data.LoadFromEnumerable(Rows(n).ToList());

    /// <summary>The rows in ML.NET's binary format, which knows its row count and can shuffle.</summary>
    private static IDataView Binary(MLContext ml, int n)
    {
        var path = Path.Combine(TempDir(), $"rows-{n}.idv");
        using (var file = File.Create(path)) ml.Data.SaveAsBinary(Listed(ml, n), file);
        return ml.Data.LoadFromBinary(path);
    }

    /// <summary>A lazy sequence: no row count, no shuffling.</summary>
    private static IDataView Sequence(MLContext ml, int n) => ml.Data.LoadFromEnumerable(Rows(n));

    private static StudentOptions Streamed(int buffer = 100, bool shuffleSource = false, long? maxSteps = null) => new()
    {
        HiddenLayers = [8], BatchSize = 32, Epochs = 2, Seed = 5, LearningRate = 0.01,
        Streaming = new StreamingOptions { ShuffleBufferRows = buffer, ShuffleSource = shuffleSource, MaxSteps = maxSteps },
    };

    private static StreamingBatches Open(IDataView data, StudentOptions o, DistillationTask task = DistillationTask.MulticlassClassification)
        => StreamingBatches.Open(data, o, task, new ClassAligner(o.ClassAlignment, _ => { }, _ => { }), _ => { }, false, null);

    /// <summary>The row ids of one epoch's batches, in the order trained.</summary>
    private static List<int> Epoch(IBatchSource source, Random rng)
    {
        var ids = new List<int>();
        source.StartEpoch(rng);
        for (int step = 0; step < source.StepsPerEpoch; step++)
        {
            using var scope = torch.NewDisposeScope();
            var batch = source.Next(step);
            var features = batch.Features.data<float>().ToArray();
            for (int r = 0; r < features.Length / 3; r++) ids.Add((int)features[r * 3]);
        }
        return ids;
    }

    [Fact]
    public void EveryRowIsTrainedOnExactlyOncePerEpochWhetherOrNotTheSourceCountsOrShufflesItsRows()
    {
        var ml = new MLContext(seed: 1);
        var sequence = Sequence(ml, 1000);
        Assert.Null(sequence.GetRowCount());   // the first pass counts the rows
        Assert.False(sequence.CanShuffle);
        foreach (var (data, shuffleSource) in new[] { (sequence, false), (Listed(ml, 1000), false), (Binary(ml, 1000), false), (Binary(ml, 1000), true) })
        {
            using var source = Open(data, Streamed(shuffleSource: shuffleSource));
            Assert.Equal(1000, source.Rows);
            Assert.Equal(32, source.StepsPerEpoch);   // ⌈1000 / 32⌉, as in memory
            var rng = new Random(3);
            for (int epoch = 0; epoch < 2; epoch++)
                Assert.Equal(Enumerable.Range(0, 1000), Epoch(source, rng).Order());
        }
    }

    [Fact]
    public void TheBufferShufflesWithinItsReachAndTheSameSeedGivesTheSameOrder()
    {
        var ml = new MLContext(seed: 1);
        using var source = Open(Sequence(ml, 1000), Streamed(buffer: 100));
        var order = Epoch(source, new Random(3));
        Assert.True(order.Where((id, p) => id == p).Count() < 50, "most rows leave their place");
        // Before batch b is drawn, the buffer has held only rows < 100 + 32·b.
        for (int p = 0; p < order.Count; p++) Assert.True(order[p] < 100 + p / 32 * 32, $"row {order[p]} at position {p}");
        Assert.Equal(order, Epoch(source, new Random(3)));
        Assert.NotEqual(order, Epoch(source, new Random(4)));
    }

    [Fact]
    public void ASourceThatCanShuffleIsAskedForANewOrderEachEpoch()
    {
        var ml = new MLContext(seed: 1);
        var data = Binary(ml, 1000);
        Assert.True(data.CanShuffle);
        using var shuffled = Open(data, Streamed(buffer: 100, shuffleSource: true));
        var rng = new Random(3);
        var first = Epoch(shuffled, rng);
        // Rows come earlier than the buffer alone could bring them: the source's own order was shuffled.
        Assert.Contains(first.Select((id, p) => id - (100 + p / 32 * 32)), d => d >= 0);
        Assert.NotEqual(first, Epoch(shuffled, rng));
    }

    [Fact]
    public void TheFirstPassGivesTheInMemoryStatistics()
    {
        var ml = new MLContext(seed: 1);
        var wine = WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher)).Fit(Wine(ml)).Transform(Wine(ml));
        var o = Streamed();
        o.TeacherColumnName = "TeacherLogits";
        using var streamed = Open(wine, o);
        using var inMemory = new InMemoryBatches(TrainingSet.Load(wine, o), o.BatchSize);
        Assert.Equal(inMemory.FeatureStatistics().Mean, streamed.FeatureStatistics().Mean);
        Assert.Equal(inMemory.FeatureStatistics().Std, streamed.FeatureStatistics().Std);
        Assert.Equal(inMemory.Rows, streamed.Rows);
        Assert.Equal(inMemory.Set.TeacherKind, streamed.Set.TeacherKind);

        // Regression: the targets' standardisation over every labelled row, as in memory.
        var regression = TaskData.Regression(ml, 800, 1);
        var ro = Streamed();
        ro.TeacherColumnName = "Teacher";
        using var streamedRegression = Open(regression, ro, DistillationTask.Regression);
        var loaded = TrainingSet.Load(regression, ro, DistillationTask.Regression);
        Assert.Equal(loaded.Scaling!.Mean, streamedRegression.Set.Scaling!.Mean);
        Assert.Equal(loaded.Scaling.Std, streamedRegression.Set.Scaling.Std);
        Assert.InRange(loaded.Scaling.Mean[0], 4000, 6000);
    }

    [Fact]
    public void AStreamedStudentLearnsAsWellAsOneTrainedInMemory()
    {
        var ml = new MLContext(seed: 1);
        var train = WineSplit(ml, "train");
        var test = WineSplit(ml, "test");
        double Accuracy(StreamingOptions? streaming)
        {
            var model = WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
                .Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
                {
                    TeacherColumnName = "TeacherLogits", HiddenLayers = [16], Epochs = 40, BatchSize = 32, LearningRate = 0.01, Seed = 7, Streaming = streaming,
                })).Fit(train);
            return ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        }
        double inMemory = Accuracy(null), streamed = Accuracy(new StreamingOptions { ShuffleBufferRows = 64 });
        Assert.True(streamed > 0.85, $"streamed {streamed}, in memory {inMemory}");
        Assert.True(Math.Abs(streamed - inMemory) <= 0.1, $"streamed {streamed}, in memory {inMemory}");
    }

    [Fact]
    public void AStreamedRegressionStudentPredictsInTheTargetsUnits()
    {
        // Targets in large units: standardised with the first pass's statistics, folded back into the exported student.
        var ml = new MLContext(seed: 1);
        using var regression = ml.Regression.Trainers.Student(new StudentOptions
        {
            TeacherColumnName = "Teacher", HiddenLayers = [32], Epochs = 40, BatchSize = 32, Seed = 3, LearningRate = 3e-3,
            Streaming = new StreamingOptions { ShuffleBufferRows = 200 },
        }).Fit(TaskData.Regression(ml, 800, 1));
        var metrics = ml.Regression.Evaluate(regression.Transform(TaskData.Regression(ml, 400, 2)));
        Assert.True(metrics.RSquared > 0.9, $"R² {metrics.RSquared}");
    }

    [Fact]
    public void TheStepBudgetEndsTheFitAndTheScheduleSpansIt()
    {
        var ml = new MLContext(seed: 1);
        var o = Streamed(maxSteps: 10);
        o.Epochs = 3;
        using var student = ml.MulticlassClassification.Trainers.Student(o).Fit(Listed(ml, 1000));
        var epoch = Assert.Single(student.History);   // 10 steps of the first epoch's 32
        Assert.Equal(LearningRates.At(o.Schedule, o.LearningRate, 9, 10, 0), epoch.LearningRate, 12);
        Assert.True(epoch.LearningRate < o.LearningRate);   // the decay ran over the budget, not over 3 epochs

        var two = Streamed(maxSteps: 40);
        using var longer = ml.MulticlassClassification.Trainers.Student(two).Fit(Listed(ml, 1000));
        Assert.Equal(2, longer.History.Count);   // 32 + 8 steps
        Assert.Equal(LearningRates.At(two.Schedule, two.LearningRate, 39, 40, 0), longer.History[^1].LearningRate, 12);
    }

    [Fact]
    public void ADataViewThatChangesBetweenPassesIsRefused()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new ShrinkingRows());
        var e = Assert.Throws<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.Student(Streamed()).Fit(data));
        Assert.Contains("gave 150 rows in epoch 1 but 200 in the first pass", e.Message);
        Assert.Contains("SaveAsBinary", e.Message);
    }

    /// <summary>200 rows the first time it is read, 150 after.</summary>
    private sealed class ShrinkingRows : IEnumerable<IdRow>
    {
        private int _reads;
        public IEnumerator<IdRow> GetEnumerator() => Rows(_reads++ == 0 ? 200 : 150).GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Fact]
    public void OptionsStreamingCannotHonourAreRefusedByName()
    {
        var ml = new MLContext(seed: 1);
        var small = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Student(Streamed(buffer: 16)));
        Assert.Contains("ShuffleBufferRows (16) is smaller than StudentOptions.BatchSize (32)", small.Message);
        var budget = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Student(Streamed(maxSteps: 0)));
        Assert.Contains("MaxSteps", budget.Message);

        var ranking = Assert.Throws<ArgumentException>(() => ml.Ranking.Trainers.Student(Streamed()));
        Assert.Contains("ranking", ranking.Message);
        var held = Streamed();
        held.ValidationFraction = 0.2;
        Assert.Contains("Fit(train, validation)", Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(held)).Message);
        var transfer = Streamed();
        transfer.TeacherColumnName = "TeacherLogits";
        transfer.TransferSet = new TransferSetOptions { TeacherModelPath = WineTeacher };
        Assert.Contains("TransferSet", Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(transfer)).Message);
        var auto = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.AutoDistill(new AutoDistillOptions { Student = Streamed() }));
        Assert.Contains("Streaming", auto.Message);
    }

    [Fact]
    public void WithASoftLabelCacheTheTeacherRunsOnlyInTheFirstPass()
    {
        var ml = new MLContext(seed: 1);
        var keyed = WineLabelToKey(ml).Fit(Wine(ml)).Transform(Wine(ml));
        var cached = ml.Transforms.Distill(new DistillOptions
        {
            TeacherModelPath = WineTeacher, InputColumnName = "Features", OutputColumnName = "TeacherLogits", BatchSize = 32,
            CachePath = Path.Combine(TempDir(), "stream-teacher.idv"),
        }).Fit(keyed);
        var o = Streamed(buffer: 64);
        o.TeacherColumnName = "TeacherLogits";
        o.Epochs = 5;
        using var student = ml.MulticlassClassification.Trainers.Student(o).Fit(cached.Transform(keyed));
        Assert.Equal(5, student.History.Count);
        Assert.Equal(6, cached.TeacherCalls);   // ⌈178 / 32⌉ batches, once, for six passes over the data
    }
}
