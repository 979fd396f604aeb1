using Microsoft.ML;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Search;
using MLNet.Distillation.Students;
using MLNet.Distillation.Tests.StudentBodies;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Training;

/// <summary>
/// Runs the checkpoint tests alone: dropout draws from TorchSharp's process-wide generator, so a fit in another test
/// class drawing from it at the same time would change this fit's draws (for two uninterrupted fits alike).
/// </summary>
[CollectionDefinition(nameof(CheckpointCollection), DisableParallelization = true)]
public sealed class CheckpointCollection;

/// <summary>
/// Checkpoints (StudentOptions.Checkpoint): a fit cancelled after a checkpoint and resumed ends with the very weights and
/// history of an uninterrupted fit; a damaged checkpoint or one of another fit is refused by name; writes are atomic.
/// </summary>
[Collection(nameof(CheckpointCollection))]
public class CheckpointTests
{
    private static StudentOptions Options(int seed = 7) => new()
    {
        TeacherColumnName = "TeacherLogits", HiddenLayers = [16], Epochs = 5, MinimumSteps = 0, BatchSize = 32, LearningRate = 0.01,
        Seed = seed, ValidationFraction = 0.25,
    };

    /// <summary>Fits the wine student (teacher logits from the committed ONNX teacher) on the training split.</summary>
    private static StudentTransformer Fit(StudentOptions options, string split = "train")
    {
        var ml = new MLContext(seed: 1);
        var data = WineSplit(ml, split);
        var model = WineLabelToKey(ml)
            .Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.Student(options))
            .Fit(data);
        return model.LastTransformer;
    }

    private static StudentOptions WithCheckpoints(StudentOptions o, string folder, int? everySteps = null, int? everyEpochs = null)
    {
        o.Checkpoint = new CheckpointOptions { Directory = folder, EverySteps = everySteps, EveryEpochs = everyEpochs };
        return o;
    }

    /// <summary>Runs <paramref name="options"/> until the end of epoch <paramref name="cancelAfterEpoch"/>, where it is cancelled.</summary>
    private static void FitAndCancel(StudentOptions options, int cancelAfterEpoch)
    {
        using var cts = new CancellationTokenSource();
        options.CancellationToken = cts.Token;
        options.Progress = p => { if (p.Epoch == cancelAfterEpoch) cts.Cancel(); };
        Assert.ThrowsAny<OperationCanceledException>(() => Fit(options));
    }

    private static void AssertSameWeights(StudentNetwork expected, StudentNetwork actual)
    {
        Assert.Equal(expected.Layers.Count, actual.Layers.Count);
        for (int i = 0; i < expected.Layers.Count; i++)
        {
            Assert.Equal(expected.Layers[i].Weights, actual.Layers[i].Weights);   // exact: bit for bit
            Assert.Equal(expected.Layers[i].Bias, actual.Layers[i].Bias);
        }
        Assert.Equal(expected.FeatureMean, actual.FeatureMean);
        Assert.Equal(expected.FeatureScale, actual.FeatureScale);
    }

    /// <summary>Everything of an epoch but its timings.</summary>
    private static EpochProgress Untimed(EpochProgress p) => p with
    {
        Elapsed = default, StudentTime = default, TeacherTime = default, LossTerms = NoTerms,
        DataStrategy = p.DataStrategy is null ? null : p.DataStrategy with { DomainWeights = NoTerms },
    };

    private static readonly Dictionary<string, double> NoTerms = new();

    private static void AssertSameHistory(IReadOnlyList<EpochProgress> expected, IReadOnlyList<EpochProgress> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(Untimed(expected[i]), Untimed(actual[i]));
            Assert.Equal(expected[i].LossTerms.ToArray(), actual[i].LossTerms.ToArray());
            Assert.Equal(expected[i].DataStrategy?.DomainWeights.ToArray(), actual[i].DataStrategy?.DomainWeights.ToArray());
        }
    }

    [Fact]
    public void AFitCancelledAfterAnEpochCheckpointAndResumedEqualsAnUninterruptedFit()
    {
        using var folder = new TempFolder();
        var uninterrupted = Fit(Options());

        FitAndCancel(WithCheckpoints(Options(), folder.Path), cancelAfterEpoch: 2);
        Assert.Equal(2, FitCheckpoints.List(folder.Path).Count);   // epochs 1 and 2 (KeepLast 2)
        var epochsRun = new List<int>();
        var options = WithCheckpoints(Options(), folder.Path);
        options.Progress = p => epochsRun.Add(p.Epoch);
        var resumed = Fit(options);

        Assert.Equal([3, 4, 5], epochsRun);   // epochs 1 and 2 came from the checkpoint
        AssertSameWeights(uninterrupted.Network, resumed.Network);
        AssertSameHistory(uninterrupted.History, resumed.History);
    }

    [Fact]
    public void AKdFitWithDropoutResumedFromAMidEpochStepCheckpointEqualsAnUninterruptedFit()
    {
        using var folder = new TempFolder();
        static StudentOptions Kd()
        {
            var o = Options();
            o.Loss = DistillationLoss.Hinton(4, 0.9);
            o.Dropout = 0.3;   // dropout draws from TorchSharp's generator, which the checkpoint saves
            o.Epochs = 4;
            return o;
        }
        var uninterrupted = Fit(Kd());

        FitAndCancel(WithCheckpoints(Kd(), folder.Path, everySteps: 5), cancelAfterEpoch: 2);
        var newest = FitCheckpoints.List(folder.Path)[0];
        var contents = CheckpointFile.Read(newest.Path);
        foreach (var t in contents.Tensors.Values) t.Dispose();
        Assert.Equal(5, newest.Step);   // 3 steps per epoch: inside the second epoch, so the resumed fit starts mid-epoch
        Assert.Equal((1, 2), (contents.Loop.Epoch, contents.Loop.StepInEpoch));
        var resumed = Fit(WithCheckpoints(Kd(), folder.Path, everySteps: 5));

        AssertSameWeights(uninterrupted.Network, resumed.Network);
        AssertSameHistory(uninterrupted.History, resumed.History);
        Assert.Equal(["ce", "kd"], resumed.History[0].LossTerms.Keys.Order());
    }

    [Fact]
    public void AMeanTeacherFitWithInputNoiseResumesExactly()
    {
        using var folder = new TempFolder();
        static StudentOptions MeanTeacher()
        {
            var o = Options();
            o.TeacherColumnName = null;
            o.SelfDistillation = new SelfDistillationOptions { EmaDecay = 0.9, InputNoise = 0.2 };
            o.Epochs = 3;
            return o;
        }
        var uninterrupted = Fit(MeanTeacher());
        FitAndCancel(WithCheckpoints(MeanTeacher(), folder.Path, everySteps: 5), cancelAfterEpoch: 2);
        Assert.Equal([5L], FitCheckpoints.List(folder.Path).Select(c => c.Step));   // mid-epoch 2 of 3
        var resumed = Fit(WithCheckpoints(MeanTeacher(), folder.Path, everySteps: 5));

        AssertSameWeights(uninterrupted.Network, resumed.Network);
        AssertSameHistory(uninterrupted.History, resumed.History);
    }

    [Fact]
    public void ACnnStudentWithBatchNormResumesExactly()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(CnnTestData.Rows(128));
        StudentTransformer Cnn(string? checkpoints, CancellationToken cancel = default, Action<EpochProgress>? progress = null)
            => CnnTestData.LabelToKey(ml).Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
            {
                Architecture = StudentArchitecture.Cnn(CnnTestData.Options()), HiddenLayers = [12], Epochs = 2, MinimumSteps = 0, BatchSize = 32, Seed = 3,
                ValidationFraction = 0.25, CancellationToken = cancel, Progress = progress,
                Checkpoint = checkpoints is null ? null : new CheckpointOptions { Directory = checkpoints, EverySteps = 2 },
            })).Fit(data).LastTransformer;
        var uninterrupted = Cnn(null);

        using (var cts = new CancellationTokenSource())
            Assert.ThrowsAny<OperationCanceledException>(() => Cnn(folder.Path, cts.Token, _ => cts.Cancel()));
        Assert.Equal([2L], FitCheckpoints.List(folder.Path).Select(c => c.Step));   // 3 steps per epoch: mid-epoch
        var resumed = Cnn(folder.Path);

        AssertSameWeights(uninterrupted.Network, resumed.Network);
        var (expected, actual) = ((CnnBody)uninterrupted.Network.Body!, (CnnBody)resumed.Network.Body!);
        for (int i = 0; i < expected.Layers.Count; i++)
        {
            Assert.Equal(expected.Layers[i].Weights, actual.Layers[i].Weights);   // batch norm folded in: its running statistics too
            Assert.Equal(expected.Layers[i].Bias, actual.Layers[i].Bias);
        }
        AssertSameHistory(uninterrupted.History, resumed.History);
    }

    [Fact]
    public void APrunedFitResumesExactly()
    {
        using var folder = new TempFolder();
        static StudentOptions Pruned()
        {
            var o = Options();
            o.DataStrategy = DataStrategy.Prune(0.7, PruningCriterion.TeacherEntropy);   // and its tied KD loss
            o.Epochs = 4;
            return o;
        }
        var uninterrupted = Fit(Pruned());
        FitAndCancel(WithCheckpoints(Pruned(), folder.Path), cancelAfterEpoch: 2);
        var resumed = Fit(WithCheckpoints(Pruned(), folder.Path));

        AssertSameWeights(uninterrupted.Network, resumed.Network);
        AssertSameHistory(uninterrupted.History, resumed.History);
    }

    /// <summary>600 rows in ML.NET's binary format, which shuffles its source order each epoch from the fit's generator.</summary>
    private static IDataView StreamableRows(MLContext ml, TempFolder folder)
    {
        var rows = Enumerable.Range(0, 600).Select(i => new StreamingTests.IdRow { Features = [i % 37, MathF.Sin(i), i % 3], Label = (uint)(i % 3 + 1) }).ToList();
        var path = folder.File("rows.idv");
        using (var file = File.Create(path)) ml.Data.SaveAsBinary(ml.Data.LoadFromEnumerable(rows), file);
        return ml.Data.LoadFromBinary(path);
    }

    /// <summary>A streamed fit of <see cref="StreamableRows"/>: 19 steps per epoch, dropout on.</summary>
    private static StudentOptions Streamed(CheckpointOptions? checkpoint, long? maxSteps = null, CancellationToken cancel = default, Action<EpochProgress>? progress = null) => new()
    {
        HiddenLayers = [8], BatchSize = 32, Epochs = 3, MinimumSteps = 0, Seed = 5, LearningRate = 0.01, Dropout = 0.2,
        Streaming = new StreamingOptions { ShuffleBufferRows = 100, ShuffleSource = true, MaxSteps = maxSteps },
        CancellationToken = cancel, Progress = progress, Checkpoint = checkpoint,
    };

    [Fact]
    public void AStreamedFitResumedMidEpochReadsOnToTheSameBatchesAndEqualsAnUninterruptedFit()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var data = StreamableRows(ml, folder);
        StudentOptions Streamed(string? checkpoints, CancellationToken cancel = default, Action<EpochProgress>? progress = null)
            => CheckpointTests.Streamed(checkpoints is null ? null : new CheckpointOptions { Directory = checkpoints, EverySteps = 7 }, null, cancel, progress);
        var checkpoints = Path.Combine(folder.Path, "checkpoints");
        var uninterrupted = ml.MulticlassClassification.Trainers.Student(Streamed(null)).Fit(data);

        using (var cts = new CancellationTokenSource())
            Assert.ThrowsAny<OperationCanceledException>(() => ml.MulticlassClassification.Trainers.Student(Streamed(checkpoints, cts.Token, p => { if (p.Epoch == 2) cts.Cancel(); })).Fit(data));
        Assert.Equal(35, FitCheckpoints.List(checkpoints)[0].Step);   // 19 steps per epoch: step 16 of the second epoch
        var resumed = ml.MulticlassClassification.Trainers.Student(Streamed(checkpoints)).Fit(data);

        AssertSameWeights(uninterrupted.Network, resumed.Network);
        AssertSameHistory(uninterrupted.History, resumed.History);
    }

    [Fact]
    public void AStepBudgetFitResumedInsideItsShortLastEpochTakesExactlyTheRemainingSteps()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var data = StreamableRows(ml, folder);
        var all = Path.Combine(folder.Path, "all");
        // 45 steps: two epochs of 19, then 7 in the last; every fifth step kept, so step 40 lies 2 steps into the last epoch.
        var uninterrupted = ml.MulticlassClassification.Trainers.Student(Streamed(new CheckpointOptions { Directory = all, EverySteps = 5, KeepLast = 100 }, maxSteps: 45)).Fit(data);
        Assert.Equal(45, FitCheckpoints.List(all)[0].Step);

        var resumed = ml.MulticlassClassification.Trainers.Student(Streamed(new CheckpointOptions { ResumeFrom = Path.Combine(all, FitCheckpoints.FileName(40)) }, maxSteps: 45)).Fit(data);
        AssertSameWeights(uninterrupted.Network, resumed.Network);
        AssertSameHistory(uninterrupted.History, resumed.History);
    }

    [Fact]
    public void RerunningAFinishedFitReturnsItsResultWithoutTrainingAndKeepsTheLastCheckpoints()
    {
        using var folder = new TempFolder();
        var o = WithCheckpoints(Options(), folder.Path);
        o.Epochs = 3;
        var first = Fit(o);
        Assert.Equal(2, FitCheckpoints.List(folder.Path).Count);   // KeepLast 2 of 3 epoch checkpoints

        int epochsRun = 0;
        var again = WithCheckpoints(Options(), folder.Path);
        again.Epochs = 3;
        again.Progress = _ => epochsRun++;
        var second = Fit(again);

        Assert.Equal(0, epochsRun);
        AssertSameWeights(first.Network, second.Network);
        AssertSameHistory(first.History, second.History);
    }

    [Fact]
    public void ResumeFromTakesACheckpointFileFromAnotherFolderAndANamedFileMustExist()
    {
        using var folder = new TempFolder();
        var first = Path.Combine(folder.Path, "first");
        static StudentOptions Short() { var o = Options(); o.Epochs = 3; return o; }
        var uninterrupted = Fit(Short());
        FitAndCancel(WithCheckpoints(Short(), first), cancelAfterEpoch: 1);
        var copied = folder.File("copied.ckpt");
        File.Copy(FitCheckpoints.List(first).Single().Path, copied);

        var o = Short();
        o.Checkpoint = new CheckpointOptions { ResumeFrom = copied };   // no Directory: resumes, writes nothing
        var resumed = Fit(o);
        AssertSameWeights(uninterrupted.Network, resumed.Network);
        AssertSameHistory(uninterrupted.History, resumed.History);
        Assert.Equal(new[] { first, copied }.Order(), Directory.EnumerateFileSystemEntries(folder.Path).Order());

        o.Checkpoint = new CheckpointOptions { ResumeFrom = folder.File("missing.ckpt") };
        Assert.Contains("CheckpointOptions.ResumeFrom", Assert.Throws<FileNotFoundException>(() => Fit(o)).Message);
    }

    [Fact]
    public void ACheckpointOfAnotherFitIsRefusedNamingEveryDifference()
    {
        using var folder = new TempFolder();
        var o = WithCheckpoints(Options(), folder.Path);
        o.Epochs = 1;
        Fit(o);
        var file = FitCheckpoints.List(folder.Path).Single().Path;

        var otherRate = WithCheckpoints(Options(), folder.Path);
        otherRate.Epochs = 1;
        otherRate.LearningRate = 0.02;
        var e = Assert.Throws<InvalidOperationException>(() => Fit(otherRate));
        Assert.Contains(file, e.Message);
        Assert.Contains("StudentOptions.LearningRate: 0.01 in the checkpoint, 0.02 in this fit", e.Message);

        var otherSeed = WithCheckpoints(Options(seed: 8), folder.Path);
        otherSeed.Epochs = 1;
        e = Assert.Throws<InvalidOperationException>(() => Fit(otherSeed));
        Assert.Contains("seed: 7 in the checkpoint, 8 in this fit", e.Message);
        Assert.Contains("set StudentOptions.Seed = 7", e.Message);

        var otherData = WithCheckpoints(Options(), folder.Path);
        otherData.Epochs = 1;
        e = Assert.Throws<InvalidOperationException>(() => Fit(otherData, split: "test"));
        Assert.Contains("training rows: ", e.Message);
        Assert.Contains("training features (per-column mean and standard deviation): sha256:", e.Message);
    }

    [Fact]
    public void ADamagedCheckpointIsRefusedByName()
    {
        using var folder = new TempFolder();
        var o = WithCheckpoints(Options(), folder.Path);
        o.Epochs = 1;
        Fit(o);
        var file = FitCheckpoints.List(folder.Path).Single().Path;
        var bytes = File.ReadAllBytes(file);

        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Fit(o));
        Assert.Contains(file, e.Message);
        Assert.Contains("checksum does not match", e.Message);

        File.WriteAllBytes(file, bytes[..(bytes.Length - 100)]);
        e = Assert.Throws<InvalidDataException>(() => Fit(o));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void AFailedCheckpointWriteLeavesNoFileBehind()
    {
        using var folder = new TempFolder();
        var blocker = Path.Combine(folder.Path, FitCheckpoints.FileName(1));
        Directory.CreateDirectory(blocker);   // the first checkpoint's name is taken by a folder: renaming onto it fails
        var o = WithCheckpoints(Options(), folder.Path, everySteps: 1);
        o.Epochs = 1;

        var e = Assert.ThrowsAny<IOException>(() => Fit(o));
        Assert.Contains(blocker, e.Message);
        Assert.Equal([blocker], Directory.EnumerateFileSystemEntries(folder.Path));   // no temporary or partial file
    }

    [Fact]
    public void CombinationsThatCannotResumeExactlyAreRefusedBeforeTheRowsAreRead()
    {
        using var folder = new TempFolder();
        var tgeo = WithCheckpoints(Options(), folder.Path);
        tgeo.Loss = DistillationLoss.TGeoKd();
        Assert.Contains("DistillationLoss.TGeoKd", Assert.Throws<NotSupportedException>(() => Fit(tgeo)).Message);

        var transfer = WithCheckpoints(Options(), folder.Path);
        transfer.TransferSet = new TransferSetOptions { TeacherModelPath = WineTeacher };
        Assert.Contains("StudentOptions.TransferSet", Assert.Throws<NotSupportedException>(() => Fit(transfer)).Message);

        var random = WithCheckpoints(Options(), folder.Path);
        random.TeacherColumnName = null;
        random.SelfDistillation = new SelfDistillationOptions { Mode = SelfDistillationMode.RandomTeacher };
        Assert.Contains("RandomTeacher", Assert.Throws<NotSupportedException>(() => Fit(random)).Message);

        var domains = WithCheckpoints(Options(), folder.Path);
        domains.DataStrategy = DataStrategy.DomainReweighting("Split");
        Assert.Contains("domain-reweighting(Split", Assert.Throws<NotSupportedException>(() => Fit(domains)).Message);

        var badEvery = WithCheckpoints(Options(), folder.Path, everySteps: 0);
        Assert.Contains("CheckpointOptions.EverySteps", Assert.Throws<ArgumentOutOfRangeException>(() => Fit(badEvery)).Message);

        var student = WithCheckpoints(Options(), folder.Path);
        student.ValidationFraction = 0;
        var ml = new MLContext(seed: 1);
        Assert.Contains("AutoDistillOptions.Student.Checkpoint", Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.AutoDistill(new AutoDistillOptions { Student = student })).Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path));
    }
}
