using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Tests.Training;

/// <summary>Bad training input is refused before any epoch, by the library, naming the column and what to do.</summary>
public class BadTrainingInputTests
{
    private sealed class RegressionTeacherRow
    {
        [VectorType(3)] public float[] Features { get; set; } = [];
        [VectorType(1)] public float[] TeacherLogits { get; set; } = [];
    }

    [Fact]
    public void A_regression_teacher_without_a_label_column_is_refused_as_a_single_score_teacher()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 20).Select(i => new RegressionTeacherRow { Features = [i, 1, 2], TeacherLogits = [i * 0.5f] }).ToList();
        int epochs = 0;
        var trainer = ml.MulticlassClassification.Trainers.Student(new StudentOptions { TeacherColumnName = "TeacherLogits", Epochs = 2, Progress = _ => epochs++ });
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("Teacher column 'TeacherLogits' has 1 value per row", e.Message);
        Assert.Contains("regression", e.Message);
        Assert.Contains("DistillOptions.OutputColumns", e.Message);
        Assert.Equal(0, epochs);
    }

    [Fact]
    public void Class_names_of_the_wrong_count_without_a_label_column_are_refused_before_any_epoch()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Transforms.DropColumns("Label").Fit(TestData.WineSplit(ml, "train")).Transform(TestData.WineSplit(ml, "train"));
        int epochs = 0;
        var options = new StudentOptions { TeacherColumnName = "TeacherLogits", ClassNames = ["a", "b"], Epochs = 2, Progress = _ => epochs++ };
        var e = Assert.Throws<ArgumentException>(() => ml.Transforms.Distill("TeacherLogits", "Features", TestData.WineTeacher)
            .Append(ml.MulticlassClassification.Trainers.Student(options)).Fit(train));
        Assert.Contains("StudentOptions.ClassNames lists 2 names, but the teacher scores 3 classes", e.Message);
        Assert.Equal(0, epochs);
    }
}
