using Microsoft.ML;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Search;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Search;

public class AutoDistillTests
{
    private static readonly AutoDistillCandidate[] Space =
    [
        new("hinton T=4 a=0.9", () => DistillationLoss.Hinton(4, 0.9)),
        new("hinton T=1 a=1", () => DistillationLoss.Hinton(1, 1)),
        new("dkd", () => DistillationLoss.Dkd(warmupEpochs: 2)),
        new("jsd", () => DistillationLoss.JensenShannon()),
    ];

    private static (StudentTransformer Student, ITransformer Model, MLContext Ml) Run(int? maxTrials = null, int seed = 4)
    {
        var ml = new MLContext(seed: 1);
        var model = WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.AutoDistill(new AutoDistillOptions
            {
                Student = new StudentOptions { TeacherColumnName = "TeacherLogits", HiddenLayers = [8], Epochs = 9, BatchSize = 16, LearningRate = 0.01, Seed = seed },
                Candidates = Space, Rungs = 2, ReductionFactor = 3, ValidationFraction = 0.3, MaxTrials = maxTrials,
            })).Fit(WineSplit(ml, "train"));
        return (model.LastTransformer, model, ml);
    }

    [Fact]
    public void SearchIsDeterministicForASeed()
    {
        var a = Run().Student.AutoDistill!;
        var b = Run().Student.AutoDistill!;
        Assert.Equal(a.Winner, b.Winner);
        Assert.Equal(a.Trials.Select(t => (t.Candidate, t.Rung, t.Accuracy, t.LogLoss)), b.Trials.Select(t => (t.Candidate, t.Rung, t.Accuracy, t.LogLoss)));
    }

    [Fact]
    public void ScratchIsTriedInEveryRung()
    {
        var result = Run().Student.AutoDistill!;
        Assert.Equal([0, 1], result.Trials.Where(t => t.IsScratch).Select(t => t.Rung));
        Assert.Equal(5, result.Trials.Count(t => t.Rung == 0));    // 4 candidates + scratch
    }

    [Fact]
    public void WinnerIsNeverWorseThanScratchOnValidation()
    {
        var result = Run().Student.AutoDistill!;
        int lastRung = result.Trials.Max(t => t.Rung);
        var finalists = result.Trials.Where(t => t.Rung == lastRung).ToArray();
        var winner = finalists.Single(t => t.Candidate == result.Winner);
        var scratch = finalists.Single(t => t.IsScratch);
        Assert.True(winner.Accuracy >= scratch.Accuracy);
        Assert.Equal(9, winner.Epochs);
        Assert.Equal(3, result.Trials.First().Epochs);
    }

    [Fact]
    public void MaxTrialsBoundsTheSearch()
    {
        var result = Run(maxTrials: 3).Student.AutoDistill!;
        Assert.Equal(3, result.Trials.Count);
        Assert.Contains(result.Trials, t => t.IsScratch);
    }

    [Fact]
    public void WinnerIsRefitAndScoresLikeAnyStudent()
    {
        var (student, model, ml) = Run();
        Assert.Equal(student.AutoDistill!.WinnerEpochs, student.History.Count);
        Assert.True(ml.MulticlassClassification.Evaluate(model.Transform(WineSplit(ml, "test"))).MicroAccuracy > 0.85);
    }

    [Fact]
    public void LeaderboardIsWrittenAsMarkdownAndJson()
    {
        var result = Run().Student.AutoDistill!;
        var md = result.ToMarkdown();
        foreach (var c in Space) Assert.Contains(c.Name, md);
        Assert.Contains("scratch", md);
        var path = Path.Combine(TempDir(), "leaderboard.json");
        result.SaveJson(path);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(result.Winner, doc.RootElement.GetProperty("winner").GetString());
        Assert.Equal(result.Trials.Count, doc.RootElement.GetProperty("trials").GetArrayLength());
    }

    [Fact]
    public void WithoutATeacherOnlyTeacherFreeCandidatesRun()
    {
        var ml = new MLContext(seed: 1);
        var model = WineLabelToKey(ml).Append(ml.MulticlassClassification.Trainers.AutoDistill(new AutoDistillOptions
        {
            Student = new StudentOptions { HiddenLayers = [8], Epochs = 3, Seed = 1 },
            Candidates = [.. Space, new("ls 0.1", () => DistillationLoss.CrossEntropy(0.1))], Rungs = 1,
        })).Fit(WineSplit(ml, "train"));
        Assert.Equal(["scratch (cross-entropy)", "ls 0.1"], model.LastTransformer.AutoDistill!.Trials.Select(t => t.Candidate));
    }
}
