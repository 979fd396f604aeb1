using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Search;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Tests.Tasks;

/// <summary>AutoDistill over the binary, regression and ranking losses: the task's search space, metric and paired noise rule.</summary>
public class TaskAutoDistillTests
{
    private static AutoDistillOptions Options(DistillationTask task) => new()
    {
        Student = new StudentOptions { TeacherColumnName = "Teacher", HiddenLayers = [16], Epochs = 20, BatchSize = 32, Seed = 2 },
        Candidates = AutoDistillCandidate.DefaultSpace(task).Take(2).Concat(AutoDistillCandidate.DefaultSpace(task).TakeLast(1)).ToArray(),
        Rungs = 1, MinimumTrialSteps = 0, ValidationFraction = 0.3,
    };

    [Fact]
    public void ARegressionSearchRanksByRmseAndReturnsARegressionStudent()
    {
        var ml = new MLContext(seed: 1);
        var data = TaskData.Regression(ml, 300, 1);
        using var student = ml.Regression.Trainers.AutoDistill(Options(DistillationTask.Regression)).Fit(data);
        var result = student.AutoDistill!;
        Assert.Equal(DistillationTask.Regression, student.Task);
        Assert.Equal(3, result.Trials.Count);
        Assert.All(result.Trials, t => Assert.True(t.Rmse > 0 && double.IsNaN(t.Accuracy), $"{t.Candidate}: RMSE {t.Rmse}, accuracy {t.Accuracy}"));
        Assert.Contains(result.Trials, t => t.IsScratch);
        Assert.Contains("val RMSE", result.ToMarkdown());
        // The reason is the paired rule's (squared errors per row) unless the incumbent won outright.
        Assert.True(result.Reason.Contains("best on the validation rows") || result.Reason.Contains("validation rows (mean squared error)"), result.Reason);
        // The leaderboard is ordered by RMSE, lowest first.
        var rmse = result.Leaderboard.Select(t => t.Rmse).ToArray();
        Assert.Equal(rmse.Order(), rmse);
        Assert.True(ml.Regression.Evaluate(student.Transform(data)).RSquared > 0.5);
    }

    [Fact]
    public void ARankingSearchRanksByNdcgOnWholeGroups()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Transforms.Conversion.MapValueToKey("GroupId").Fit(TaskData.Ranking(ml, 40, 1)).Transform(TaskData.Ranking(ml, 40, 1));
        using var student = ml.Ranking.Trainers.AutoDistill(Options(DistillationTask.Ranking)).Fit(data);
        var result = student.AutoDistill!;
        Assert.All(result.Trials, t => Assert.InRange(t.Ndcg, 0.0, 1.0));
        Assert.Contains("NDCG@10", result.ToMarkdown());
        Assert.InRange(ml.Ranking.Evaluate(student.Transform(data)).NormalizedDiscountedCumulativeGains[9], 0.5, 1.0);
    }

    [Fact]
    public void ABinarySearchRanksByAccuracy()
    {
        var ml = new MLContext(seed: 1);
        using var student = ml.BinaryClassification.Trainers.AutoDistill(Options(DistillationTask.BinaryClassification)).Fit(TaskData.Binary(ml, 300, 1));
        Assert.All(student.AutoDistill!.Trials, t => Assert.InRange(t.Accuracy, 0.5, 1.0));
        Assert.Equal(DistillationTask.BinaryClassification, student.Task);
    }

    [Fact]
    public void ACandidateMadeForAnotherTaskIsRefusedByName()
    {
        var ml = new MLContext(seed: 1);
        var options = Options(DistillationTask.Regression);
        options.Candidates = [.. options.Candidates!, new AutoDistillCandidate("hinton", () => DistillationLoss.Hinton())];
        var e = Assert.Throws<ArgumentException>(() => ml.Regression.Trainers.AutoDistill(options).Fit(TaskData.Regression(ml, 60, 1)));
        Assert.Contains("'hinton'", e.Message);
        Assert.Contains("not Regression", e.Message);
    }

    [Fact]
    public void TheLabelsOnlyBaselineTrainsExactlyAsAFitWithoutTheTeacherColumn()
    {
        var ml = new MLContext(seed: 1);
        var data = TaskData.PartlyLabelledBinary(ml, 300, 0.3, 1);
        var withTeacher = new StudentOptions { TeacherColumnName = "Teacher", HiddenLayers = [8], Epochs = 3, Seed = 4, Loss = new LabelsOnlyLoss(DistillationLoss.BinaryKd()) };
        var without = new StudentOptions { HiddenLayers = [8], Epochs = 3, Seed = 4 };
        using var a = ml.BinaryClassification.Trainers.Student(withTeacher).Fit(data);
        using var b = ml.BinaryClassification.Trainers.Student(without).Fit(data);
        Assert.Equal(b.Transform(data).GetColumn<float>("Score").ToArray(), a.Transform(data).GetColumn<float>("Score").ToArray());
        // …and the teacher does change the student when it is not hidden.
        withTeacher.Loss = null;
        using var c = ml.BinaryClassification.Trainers.Student(withTeacher).Fit(data);
        Assert.NotEqual(b.Transform(data).GetColumn<float>("Score").ToArray(), c.Transform(data).GetColumn<float>("Score").ToArray());
    }
}
