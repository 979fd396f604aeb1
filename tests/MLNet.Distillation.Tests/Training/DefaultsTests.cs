using Microsoft.ML;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Training;

/// <summary>The default recipe: enough steps on small data, the default distillation said in the log.</summary>
public class DefaultsTests
{
    private static (int Epochs, List<string> Log) Fit(StudentOptions options)
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var model = WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.Student(options)).Fit(WineSplit(ml, "train"));
        return (model.LastTransformer.History.Count, log);
    }

    [Fact]
    public void Left_at_its_default_a_small_table_trains_enough_epochs_for_the_minimum_steps()
    {
        // 124 training rows in batches of 128 make one step per epoch: 300 steps need 300 epochs.
        var (epochs, log) = Fit(new StudentOptions { TeacherColumnName = "TeacherLogits", HiddenLayers = [4], MinimumSteps = 300, Seed = 1 });
        Assert.Equal(300, epochs);
        Assert.Contains(log, m => m.Contains("Training 300 epochs instead of 20"));
    }

    [Fact]
    public void Epochs_set_explicitly_are_exact()
    {
        var (epochs, _) = Fit(new StudentOptions { TeacherColumnName = "TeacherLogits", HiddenLayers = [4], Epochs = 7, Seed = 1 });
        Assert.Equal(7, epochs);
    }

    [Fact]
    public void The_default_minimum_applies_only_while_Epochs_is_unset()
    {
        Assert.Equal(StudentOptions.DefaultMinimumSteps, new StudentOptions().EffectiveMinimumSteps);
        Assert.Equal(0, new StudentOptions { Epochs = 20 }.EffectiveMinimumSteps);
        Assert.Equal(500, new StudentOptions { Epochs = 20, MinimumSteps = 500 }.EffectiveMinimumSteps);
        Assert.Equal(40, TrainingLoop.EffectiveEpochs(new StudentOptions { MinimumSteps = 200, BatchSize = 100 }, 500));
    }

    [Fact]
    public void The_log_says_which_loss_a_student_with_only_a_teacher_column_distils_with_and_where_the_textbook_one_is()
    {
        var (_, log) = Fit(new StudentOptions { TeacherColumnName = "TeacherLogits", HiddenLayers = [4], Epochs = 2, Seed = 1 });
        var line = Assert.Single(log, m => m.Contains("StudentOptions.Loss is not set"));
        Assert.Contains("corrected-kd(T=1,a=0)", line);
        Assert.Contains("DistillationLoss.Hinton(4, 0.9)", line);
    }

    [Fact]
    public void A_negative_minimum_is_refused_by_name()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Student(new StudentOptions { MinimumSteps = -1 }));
        Assert.Contains("StudentOptions.MinimumSteps", e.Message);
    }

    [Fact]
    public void With_every_row_labelled_the_default_distillation_trains_the_student_that_scratch_trains()
    {
        var ml = new MLContext(seed: 1);
        var prep = WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher)).Fit(WineSplit(ml, "train"));
        var train = prep.Transform(WineSplit(ml, "train"));
        var test = prep.Transform(WineSplit(ml, "test"));
        var scratch = ml.MulticlassClassification.Trainers.Student(new StudentOptions { HiddenLayers = [8], MinimumSteps = 200, Seed = 3 }).Fit(train);
        var distilled = ml.MulticlassClassification.Trainers.Student(new StudentOptions { TeacherColumnName = "TeacherLogits", HiddenLayers = [8], MinimumSteps = 200, Seed = 3 }).Fit(train);
        var a = ReadVectors(scratch.Transform(test), "Score");
        var b = ReadVectors(distilled.Transform(test), "Score");
        for (int r = 0; r < a.Length; r++)
            for (int k = 0; k < 3; k++) Assert.Equal(a[r][k], b[r][k], 4);
    }
}
