using Microsoft.ML;
using MLNet.Distillation.Reporting;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Reporting;

/// <summary>A wine student distilled from the wine teacher, and its report on the 54-row test split (trained once per test class).</summary>
public sealed class WineReportFixture
{
    public WineReportFixture()
    {
        Ml = new MLContext(seed: 1);
        Test = WineSplit(Ml, "test");
        Model = WineLabelToKey(Ml)
            .Append(Ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(Ml.MulticlassClassification.Trainers.Student(new StudentOptions
            {
                TeacherColumnName = "TeacherLogits", HiddenLayers = [16], Epochs = 10, LearningRate = 0.01, Seed = 3, ValidationFraction = 0.2,
            }))
            .Fit(WineSplit(Ml, "train"));
        Student = ((IEnumerable<ITransformer>)Model).OfType<StudentTransformer>().Single();
        Report = DistillationReport.Create(Ml, WineTeacher, Model, Test, FastTiming());
    }

    public MLContext Ml { get; }
    public IDataView Test { get; }
    public ITransformer Model { get; }
    public StudentTransformer Student { get; }
    public DistillationReport Report { get; }

    /// <summary>Few timed calls: the tests check what is measured, not how fast.</summary>
    public static DistillationReportOptions FastTiming() => new()
    {
        WarmupCalls = 2, LatencyCalls = 10, ThroughputBatchSize = 16, ThroughputRows = 40,
    };
}
