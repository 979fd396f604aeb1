using Microsoft.ML;
using MLNet.Distillation.Training;
using TorchSharp;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Training;

/// <summary>TorchSharp's thread count is process state: these tests run alone, never beside another fit.</summary>
[CollectionDefinition(nameof(TorchThreadsCollection), DisableParallelization = true)]
public class TorchThreadsCollection;

/// <summary>The thread count of a fit: chosen by the work of a step when not given, applied for the fit only, waits passive.</summary>
[Collection(nameof(TorchThreadsCollection))]
public class TorchThreadsTests
{
    [Fact]
    public void TheWorkOfAStepIsTheBatchTimesTheMultiplyAddsOfEveryLayer()
    {
        Assert.Equal(128L * (784 * 64 + 64 * 10), TorchThreads.WorkPerStep(784, [64], 10, 128));
        Assert.Equal(32L * (13 * 3), TorchThreads.WorkPerStep(13, [], 3, 32));
    }

    [Fact]
    public void SmallStepsGetOneThreadAndLargeOnesOnePerUnitOfWorkUpToTheCores()
    {
        long unit = TorchThreads.WorkPerThread;
        Assert.Equal(1, TorchThreads.Choose(TorchThreads.WorkPerStep(784, [64], 10, 128), cores: 2));   // the quickstart student
        Assert.Equal(1, TorchThreads.Choose(unit - 1, cores: 16));
        Assert.Equal(2, TorchThreads.Choose(2 * unit, cores: 16));
        Assert.Equal(2, TorchThreads.Choose(10 * unit, cores: 2));
        Assert.Equal(1, TorchThreads.Choose(10 * unit, cores: 1));
    }

    private static StudentOptions Wine(int? threads, List<int> seen) => new()
    {
        TeacherColumnName = "TeacherLogits", HiddenLayers = [8], Epochs = 2, BatchSize = 32, Seed = 7, NumberOfThreads = threads,
        Progress = _ => seen.Add(torch.get_num_threads()),
    };

    private static void Fit(MLContext ml, StudentOptions options)
        => WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.Student(options)).Fit(WineSplit(ml, "train"));

    [Fact]
    public void AFitUsesItsThreadCountAndRestoresTheOneItFound()
    {
        int before = torch.get_num_threads();
        try
        {
            torch.set_num_threads(3);
            var seen = new List<int>();
            Fit(new MLContext(seed: 1), Wine(2, seen));
            Assert.Equal([2, 2], seen);
            Assert.Equal(3, torch.get_num_threads());

            seen.Clear();
            Fit(new MLContext(seed: 1), Wine(null, seen));   // a tiny step: the rule chooses one thread
            Assert.Equal([1, 1], seen);
            Assert.Equal(3, torch.get_num_threads());
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    [Fact]
    public void TheLogSaysHowManyThreadsAndWhy()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        Fit(ml, Wine(null, []));
        Fit(ml, Wine(2, []));
        Assert.Contains(log, m => m.Contains($"Using 1 TorchSharp thread (chosen for 4,096 multiply-adds per step on {Environment.ProcessorCount} cores)"));   // 32 × (13×8 + 8×3)
        Assert.Contains(log, m => m.Contains("Using 2 TorchSharp threads (StudentOptions.NumberOfThreads), OpenMP wait policy: "));
    }

    [Fact]
    public void OpenMpThreadsWaitPassivelyUnlessTheEnvironmentChoseOtherwise()
    {
        string? value = Environment.GetEnvironmentVariable(OpenMpWaitPolicy.Variable);
        if (OpenMpWaitPolicy.Description.EndsWith("set by MLNet.Distillation", StringComparison.Ordinal))
        {
            Assert.True(OpenMpWaitPolicy.Passive);
            Assert.Equal("PASSIVE", value);
        }
        else Assert.Contains(OpenMpWaitPolicy.Description.Contains("from the environment", StringComparison.Ordinal) ? $"={value} " : "too late", OpenMpWaitPolicy.Description + " ");
    }

    [Fact]
    public void ANumberOfThreadsBelowOneIsRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext().MulticlassClassification.Trainers.Student(new StudentOptions { NumberOfThreads = 0 }));
        Assert.Contains("NumberOfThreads must be at least 1", e.Message);
    }
}
