using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Training;

public class TeacherHackingGuardTests
{
    public sealed class Row
    {
        [VectorType(13)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
        [VectorType(3)] public float[] TeacherLogits { get; set; } = [];
    }

    /// <summary>
    /// A constructed hacking case: the "teacher" is right on classes 0 and 2 but confidently swaps 1 for 2 (a systematic
    /// error), and the student distils it at α = 1. Fitting the teacher better then means fitting its error.
    /// </summary>
    private static IDataView HackedData(MLContext ml)
    {
        var rows = ml.Data.CreateEnumerable<WineRow>(Wine(ml), false).Select(r =>
        {
            int label = Array.IndexOf(WineClasses, r.Label);
            int taught = label == 1 ? 2 : label;
            var logits = new float[3];
            logits[taught] = 6f;
            return new Row { Features = r.Features, Label = r.Label, TeacherLogits = logits };
        });
        return ml.Data.LoadFromEnumerable(rows);
    }

    private static (List<EpochProgress> Epochs, List<string> Warnings, StudentTransformer Student) Train(bool stop)
    {
        var ml = new MLContext(seed: 1);
        var warnings = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) lock (warnings) warnings.Add(e.RawMessage); };
        var epochs = new List<EpochProgress>();
        var model = WineLabelToKey(ml).Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
        {
            TeacherColumnName = "TeacherLogits", Loss = DistillationLoss.Hinton(temperature: 1, alpha: 1),
            HiddenLayers = [16], Epochs = 40, BatchSize = 16, LearningRate = 0.01, Seed = 1,
            ValidationFraction = 0.3, TeacherHackingWindow = 3, StopOnTeacherHacking = stop, Progress = epochs.Add,
        })).Fit(HackedData(ml));
        return (epochs, warnings, model.LastTransformer);
    }

    [Fact]
    public void GuardWarnsWhenTeacherFitImprovesWhileGroundTruthDegrades()
    {
        var (epochs, warnings, _) = Train(stop: false);
        Assert.Contains(epochs, e => e.TeacherHackingSuspected);
        Assert.Contains(warnings, w => w.Contains("Teacher hacking suspected"));
        var flagged = epochs.First(e => e.TeacherHackingSuspected);
        var before = epochs[flagged.Epoch - 1 - 3];
        Assert.True(flagged.ValidationTeacherKl < before.ValidationTeacherKl);
        Assert.True(flagged.ValidationLogLoss > before.ValidationLogLoss);
    }

    [Fact]
    public void GuardCanStopTrainingOnSuspectedHacking()
    {
        var (epochs, _, _) = Train(stop: true);
        Assert.True(epochs[^1].TeacherHackingSuspected);
        Assert.True(epochs.Count < 40);
    }

    [Fact]
    public void GuardStaysQuietWhenTheTeacherIsRight()
    {
        var ml = new MLContext(seed: 1);
        var epochs = new List<EpochProgress>();
        WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
            {
                TeacherColumnName = "TeacherLogits", HiddenLayers = [16], Epochs = 20, BatchSize = 16, LearningRate = 0.01, Seed = 1,
                ValidationFraction = 0.3, Progress = epochs.Add,
            })).Fit(WineSplit(ml, "train"));
        Assert.DoesNotContain(epochs, e => e.TeacherHackingSuspected);
    }
}
