using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Reporting;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Reporting;

/// <summary>
/// A label whose keys are not in the teacher's output order (MapValueToKey's default: order of appearance, class_2 first
/// in wine.csv): the report puts the teacher's outputs into the student's class order as the fit does, so the teacher's
/// numbers are its own and not those of a relabelled teacher.
/// </summary>
public class ReportClassOrderTests
{
    [Fact]
    public void TheTeachersOutputsAreAlignedWithTheStudentsClassesBeforeTheyAreCompared()
    {
        var ml = new MLContext(seed: 1);
        var test = WineSplit(ml, "test");
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
            {
                TeacherColumnName = "TeacherLogits", HiddenLayers = [8], Epochs = 2, MinimumSteps = 1, Seed = 1,
            }))
            .Fit(WineSplit(ml, "train"));
        var keys = new VBuffer<ReadOnlyMemory<char>>();
        model.Transform(test).Schema["Label"].GetKeyValues(ref keys);
        Assert.NotEqual(WineClasses, keys.DenseValues().Select(k => k.ToString()).ToArray());   // the premise: not the teacher's order

        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        var report = DistillationReport.Create(ml, WineTeacher, model, test, WineReportFixture.FastTiming());

        // tools/make_fixtures.py: the teacher gets 53 of the 54 test rows right.
        Assert.Equal(53.0 / 54, report.Teacher.Accuracy!.Value, 12);
        Assert.Contains(messages, m => m.Contains("Class order", StringComparison.Ordinal) && m.Contains("aligned", StringComparison.Ordinal));
    }
}
