using Microsoft.ML;
using MLNet.Distillation.Progress;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Search;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Training;

/// <summary>Cancellation tokens on the student fit, AutoDistill and the teacher pass: stop at the next batch or row, throw, leave no file.</summary>
public class CancellationTests
{
    private static StudentOptions Options(CancellationToken token, int epochs = 8) => new()
    {
        TeacherColumnName = "TeacherLogits", HiddenLayers = [16], Epochs = epochs, BatchSize = 32, LearningRate = 0.01, Seed = 7,
        CancellationToken = token,
    };

    private static IEstimator<ITransformer> Wine(MLContext ml, StudentOptions options, DistillOptions? teacher = null)
        => WineLabelToKey(ml)
            .Append(teacher is null ? ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher) : ml.Transforms.Distill(teacher))
            .Append(ml.MulticlassClassification.Trainers.Student(options));

    [Fact]
    public void CancellingFromTheProgressCallbackAfterEpochOneStopsBeforeTheNextEpoch()
    {
        var ml = new MLContext(seed: 1);
        using var cts = new CancellationTokenSource();
        var epochs = new List<int>();
        var options = Options(cts.Token);
        options.Progress = p =>
        {
            epochs.Add(p.Epoch);
            if (p.Epoch == 1) cts.Cancel();
        };
        var e = Assert.ThrowsAny<OperationCanceledException>(() => Wine(ml, options).Fit(WineSplit(ml, "train")));
        Assert.Equal(cts.Token, e.CancellationToken);
        Assert.Equal([1], epochs);
    }

    [Fact]
    public void APreCancelledTokenThrowsBeforeAnyRowIsReadOrAnyEpochRuns()
    {
        var ml = new MLContext(seed: 1);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var options = Options(cts.Token);
        int epochs = 0, loadingReports = 0;
        options.Progress = _ => epochs++;
        options.LoadingProgress = _ => loadingReports++;
        var teacher = ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher).Fit(WineSplit(ml, "train"));
        var data = WineLabelToKey(ml).Fit(WineSplit(ml, "train")).Transform(WineSplit(ml, "train"));

        Assert.ThrowsAny<OperationCanceledException>(() => ml.MulticlassClassification.Trainers.Student(options).Fit(teacher.Transform(data)));
        Assert.Equal(0, epochs);
        Assert.Equal(0, loadingReports);
        Assert.Equal(0, teacher.RowsScored);
    }

    [Fact]
    public void CancellingTheFitWhileItWritesTheSoftLabelCacheLeavesNoFile()
    {
        var folder = TempDir();
        try
        {
            var ml = new MLContext(seed: 1);
            using var cts = new CancellationTokenSource();
            var path = Path.Combine(folder, "wine.idv");
            var options = Options(cts.Token);
            options.LoadingProgressInterval = TimeSpan.Zero;
            var stages = new List<LoadingStage>();
            options.LoadingProgress = p =>
            {
                stages.Add(p.Stage);
                if (p.Stage == LoadingStage.TeacherPass && p.Rows >= 40) cts.Cancel();
            };
            var teacher = new DistillOptions { TeacherModelPath = WineTeacher, InputColumnName = "Features", OutputColumnName = "TeacherLogits", BatchSize = 16, CachePath = path };

            var e = Assert.ThrowsAny<OperationCanceledException>(() => Wine(ml, options, teacher).Fit(WineSplit(ml, "train")));
            Assert.Equal(cts.Token, e.CancellationToken);
            Assert.DoesNotContain(LoadingStage.TrainingRows, stages.Skip(1));   // the cache pass never ended, so no row reached the student
            Assert.False(File.Exists(path));
            Assert.Empty(Directory.EnumerateFileSystemEntries(folder));          // nor the temporary file it was written to
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void TheDistillTokenStopsACacheWriteAndLeavesNoFile()
    {
        var folder = TempDir();
        try
        {
            var ml = new MLContext(seed: 1);
            using var cts = new CancellationTokenSource();
            var path = Path.Combine(folder, "wine.idv");
            var reports = new List<LoadingProgress>();
            var teacher = new DistillOptions
            {
                TeacherModelPath = WineTeacher, InputColumnName = "Features", OutputColumnName = "TeacherLogits", BatchSize = 16, CachePath = path,
                CancellationToken = cts.Token, ProgressInterval = TimeSpan.Zero,
                Progress = p => { reports.Add(p); if (p.Rows == 20) cts.Cancel(); },
            };
            var transformer = ml.Transforms.Distill(teacher).Fit(WineSplit(ml, "train"));

            var e = Assert.ThrowsAny<OperationCanceledException>(() => ReadVectors(transformer.Transform(WineSplit(ml, "train")), "TeacherLogits"));
            Assert.Equal(cts.Token, e.CancellationToken);
            Assert.Equal(20, reports[^1].Rows);
            Assert.False(reports[^1].IsFinished);
            Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void TheDistillTokenStopsAnUncachedTeacherPassAtTheNextBatch()
    {
        var ml = new MLContext(seed: 1);
        using var cts = new CancellationTokenSource();
        var transformer = ml.Transforms.Distill(new DistillOptions
        {
            TeacherModelPath = WineTeacher, InputColumnName = "Features", OutputColumnName = "TeacherLogits", BatchSize = 16, ConcurrentBatches = 1,
            CancellationToken = cts.Token,
        }).Fit(WineSplit(ml, "train"));
        var data = transformer.Transform(WineSplit(ml, "train"));
        int rows = 0;
        using var cursor = data.GetRowCursor([data.Schema["TeacherLogits"]]);
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            while (cursor.MoveNext())
                if (++rows == 5) cts.Cancel();
        });
        Assert.Equal(16, rows);   // the rest of the batch being served, then no further batch
    }

    [Fact]
    public void AutoDistillStopsWhenCancelledAfterItsFirstTrial()
    {
        var ml = new MLContext(seed: 1);
        using var cts = new CancellationTokenSource();
        var trials = new List<AutoDistillTrial>();
        var search = ml.MulticlassClassification.Trainers.AutoDistill(new AutoDistillOptions
        {
            Student = new StudentOptions { TeacherColumnName = "TeacherLogits", HiddenLayers = [8], Epochs = 9, BatchSize = 16, LearningRate = 0.01, Seed = 4 },
            Candidates = [new("hinton T=4 a=0.9", () => DistillationLoss.Hinton(4, 0.9)), new("jsd", () => DistillationLoss.JensenShannon())],
            Rungs = 2, ReductionFactor = 3, ValidationFraction = 0.3, CancellationToken = cts.Token,
            Progress = t => { trials.Add(t); cts.Cancel(); },
        });
        var pipeline = WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher)).Append(search);

        Assert.ThrowsAny<OperationCanceledException>(() => pipeline.Fit(WineSplit(ml, "train")));
        Assert.Single(trials);
    }
}
