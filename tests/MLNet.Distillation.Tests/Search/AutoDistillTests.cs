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
                Candidates = Space, Rungs = 2, ReductionFactor = 3, ValidationFraction = 0.3, MaxTrials = maxTrials, MinimumTrialSteps = 0,
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

    private static AutoDistillOptions Options(StudentOptions? student = null) => new()
    {
        Student = student ?? new StudentOptions { TeacherColumnName = "TeacherLogits", HiddenLayers = [8], Epochs = 6, BatchSize = 16, LearningRate = 0.01, Seed = 3 },
        Candidates = [AutoDistillCandidate.Default, .. Space], Rungs = 2, ValidationFraction = 0.3,
    };

    [Theory]
    [InlineData("Loss")]
    [InlineData("TransferSet")]
    [InlineData("ValidationFraction")]
    public void Student_options_that_AutoDistill_chooses_itself_are_refused_by_name(string option)
    {
        var student = new StudentOptions { TeacherColumnName = "TeacherLogits" };
        if (option == "Loss") student.Loss = DistillationLoss.Hinton();
        if (option == "TransferSet") student.TransferSet = new TransferSetOptions { TeacherModelPath = WineTeacher };
        if (option == "ValidationFraction") student.ValidationFraction = 0.2;
        var ml = new MLContext(seed: 1);
        var e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.AutoDistill(Options(student)));
        Assert.Contains($"AutoDistillOptions.Student.{option} is set", e.Message);
    }

    [Fact]
    public void No_trial_is_shorter_than_the_minimum_steps()
    {
        var ml = new MLContext(seed: 1);
        var options = Options();
        options.MinimumTrialSteps = 10_000;
        var model = WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.AutoDistill(options)).Fit(WineSplit(ml, "train"));
        Assert.All(model.LastTransformer.AutoDistill!.Trials, t => Assert.Equal(6, t.Epochs));
    }

    [Fact]
    public void A_teacher_that_is_always_right_on_the_validation_rows_is_reported_and_the_default_kept_within_noise()
    {
        var ml = new MLContext(seed: 1);
        var warnings = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) lock (warnings) warnings.Add(e.RawMessage); };
        var rows = ml.Data.CreateEnumerable<WineRow>(WineSplit(ml, "train"), false).Select(r =>
        {
            var logits = new float[3];
            logits[Array.IndexOf(WineClasses, r.Label)] = 5f;
            return new PerfectTeacherRow { Features = r.Features, Label = r.Label, TeacherLogits = logits };
        }).ToList();
        var model = WineLabelToKey(ml).Append(ml.MulticlassClassification.Trainers.AutoDistill(Options())).Fit(ml.Data.LoadFromEnumerable(rows));
        Assert.Contains(warnings, w => w.Contains("has probably trained on them") && w.Contains("Fit(train, validation)"));
        var result = model.LastTransformer.AutoDistill!;
        var finalists = result.Trials.Where(t => t.Rung == result.Trials.Max(x => x.Rung)).ToArray();
        var incumbent = finalists.Single(t => t.Candidate == AutoDistillCandidate.Default.Name);
        var winner = finalists.Single(t => t.Candidate == result.Winner);
        if (result.Winner != incumbent.Candidate) Assert.Contains("beyond the noise", result.Reason);
        else Assert.True(winner.Accuracy >= finalists.Max(t => t.Accuracy) || result.Reason.Contains("within the noise"));
    }

    [Fact]
    public void Validation_data_given_to_Fit_ranks_the_candidates_and_the_cost_is_reported()
    {
        var ml = new MLContext(seed: 1);
        var prep = WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher)).Fit(WineSplit(ml, "train"));
        var trainer = ml.MulticlassClassification.Trainers.AutoDistill(Options());
        var test = prep.Transform(WineSplit(ml, "test"));
        var student = trainer.Fit(prep.Transform(WineSplit(ml, "train")), test);
        var result = student.AutoDistill!;
        Assert.Contains(result.Trials, t => t.Candidate == AutoDistillCandidate.Default.Name && t.Rung == 1);
        Assert.True(result.RefitElapsed > TimeSpan.Zero && result.CostRatio > 1, $"cost ratio {result.CostRatio}");
        Assert.Contains("one plain fit", result.ToMarkdown());
        Assert.True(ml.MulticlassClassification.Evaluate(student.Transform(test)).MicroAccuracy > 0.85);
    }

    public sealed class PerfectTeacherRow
    {
        [Microsoft.ML.Data.VectorType(13)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
        [Microsoft.ML.Data.VectorType(3)] public float[] TeacherLogits { get; set; } = [];
    }
}
