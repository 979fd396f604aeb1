using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Export;
using MLNet.Distillation.Reporting;
using MLNet.Distillation.Students;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Reporting;

/// <summary>DistillationReport.Create on the wine fixture, checked against answers known independently of the report.</summary>
public class WineReportTests(WineReportFixture wine) : IClassFixture<WineReportFixture>
{
    [Fact]
    public void TeacherAccuracyIsTheOneRecordedWhenTheFixtureWasMade()
    {
        // tools/make_fixtures.py measured 98.15 % (53 of 54) on the test split in PyTorch.
        double reference = Reference.GetProperty("wine_mlp_teacher").GetProperty("accuracy_test").GetDouble();
        Assert.Equal(reference, wine.Report.Teacher.Accuracy!.Value, 4);
        Assert.Equal(53.0 / 54, wine.Report.Teacher.Accuracy!.Value, 12);
    }

    [Fact]
    public void StudentAccuracyAndLogLossMatchMlNetsEvaluator()
    {
        var metrics = wine.Ml.MulticlassClassification.Evaluate(wine.Model.Transform(wine.Test));
        Assert.Equal(metrics.MicroAccuracy, wine.Report.Student.Accuracy!.Value, 12);
        Assert.Equal(metrics.LogLoss, wine.Report.Student.LogLoss!.Value, 6);
    }

    [Fact]
    public void AgreementAndKlMatchTheTeacherColumnTheStudentWasTrainedOn()
    {
        var scored = wine.Model.Transform(wine.Test);
        var teacher = ReadVectors(scored, "TeacherLogits").Select(ClassificationMetrics.Softmax).ToArray();
        var student = ReadVectors(scored, "Score");
        double agreement = teacher.Zip(student).Count(p => ArgMax(p.First) == ArgMax(p.Second)) / (double)teacher.Length;
        double kl = teacher.Zip(student).Average(p => p.First.Zip(p.Second).Sum(q => q.First * Math.Log((double)q.First / q.Second)));
        Assert.Equal(agreement, wine.Report.TopOneAgreement!.Value, 12);
        Assert.Equal(kl, wine.Report.MeanKlDivergence!.Value, 6);
    }

    [Fact]
    public void RowsAndLabelledRowsCountTheTestSplit()
    {
        Assert.Equal(54, wine.Report.Rows);
        Assert.Equal(54, wine.Report.LabelledRows);
    }

    [Fact]
    public void SizesAreTheOnnxFilesAndTheirInitializerValues()
    {
        var path = Path.Combine(TempDir(), "student.onnx");
        wine.Student.ExportToOnnx(path);
        Assert.Equal(new FileInfo(WineTeacher).Length, wine.Report.Teacher.FileBytes);
        Assert.Equal(new FileInfo(path).Length, wine.Report.Student.FileBytes);
        Assert.Equal(5277, wine.Report.Teacher.ParameterCount);
        // Layers + the 13 feature means: the scale is folded into layer 0, the centring is not (alcohol's mean is ~16 of its
        // standard deviations from zero; see StudentOnnxExporter.FoldStandardisation).
        Assert.Equal(13 * 16 + 16 + 16 * 3 + 3 + 13, wine.Report.Student.ParameterCount);
        Assert.Equal(wine.Report.Teacher.FileBytes / (double)wine.Report.Student.FileBytes, wine.Report.CompressionRatio, 12);
    }

    [Fact]
    public void LatencyIsMeasuredForTheTeacherOnOnnxRuntimeAndTheStudentOnOnnxRuntimeAndMlNet()
    {
        Assert.Equal([DistillationReport.OnnxRuntime], wine.Report.Teacher.Latency.Select(l => l.Runtime));
        Assert.Equal([DistillationReport.OnnxRuntime, DistillationReport.MlNet], wine.Report.Student.Latency.Select(l => l.Runtime));
        Assert.All(wine.Report.Teacher.Latency.Concat(wine.Report.Student.Latency), l =>
        {
            Assert.Equal(10, l.SingleRowCalls);
            Assert.Equal(40, l.ThroughputRows);
            Assert.Equal(16, l.ThroughputBatchSize);
            Assert.True(l.P50Milliseconds > 0 && l.P95Milliseconds >= l.P50Milliseconds, $"{l.Runtime}: p50 {l.P50Milliseconds}, p95 {l.P95Milliseconds}");
            Assert.True(double.IsFinite(l.ThroughputRowsPerSecond) && l.ThroughputRowsPerSecond > 0);
        });
        // ONNX Runtime sessions are timed on one intra-op thread by default, and the report says so.
        Assert.All(wine.Report.Teacher.Latency.Concat(wine.Report.Student.Latency), l => Assert.Equal(l.Runtime == DistillationReport.OnnxRuntime ? 1 : null, l.IntraOpThreads));
        Assert.Contains("with one intra-op thread", wine.Report.ToString());
    }

    [Fact]
    public void TimingWithOnnxRuntimesDefaultThreadsIsRecordedAsSuch()
    {
        var options = WineReportFixture.FastTiming();
        options.IntraOpNumThreads = null;
        var report = DistillationReport.Create(wine.Ml, WineTeacher, wine.Model, wine.Test, options);
        Assert.All(report.Teacher.Latency.Concat(report.Student.Latency), l => Assert.Null(l.IntraOpThreads));
        Assert.Contains("with ONNX Runtime's default intra-op threads", report.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(report.ToJson());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.RootElement.GetProperty("teacher").GetProperty("latency")[0].GetProperty("intraOpThreads").ValueKind);
        Assert.Equal(1, wine.Report.Teacher.Latency[0].IntraOpThreads);
    }

    [Fact]
    public void ZeroTimingThreadsAreRefusedByName()
    {
        var options = WineReportFixture.FastTiming();
        options.IntraOpNumThreads = 0;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => DistillationReport.Create(wine.Ml, WineTeacher, wine.Model, wine.Test, options));
        Assert.Contains("DistillationReportOptions.IntraOpNumThreads", e.Message);
    }

    [Fact]
    public void TrainingHistoryIsTheStudents()
    {
        Assert.Same(wine.Student.History, wine.Report.TrainingHistory);
        Assert.Equal(10, wine.Report.TrainingHistory.Count);
    }

    [Fact]
    public void ASoftmaxTeacherGivesTheSameTeacherNumbersAsItsLogitTwin()
    {
        var report = DistillationReport.Create(wine.Ml, WineTeacherSoftmax, wine.Model, wine.Test, new DistillationReportOptions { MeasureLatency = false });
        Assert.Equal(wine.Report.Teacher.LogLoss!.Value, report.Teacher.LogLoss!.Value, 5);
        Assert.Equal(wine.Report.MeanKlDivergence!.Value, report.MeanKlDivergence!.Value, 5);
        Assert.Empty(report.Teacher.Latency);
        Assert.Empty(report.Student.Latency);
    }

    [Fact]
    public void TheStudentAloneOnRawTextLabelsGivesTheSameNumbersAsThePipeline()
    {
        // The raw test split has Label as text; the report maps it through the student's class names.
        var report = DistillationReport.Create(wine.Ml, WineTeacher, wine.Student, wine.Test, new DistillationReportOptions { MeasureLatency = false });
        Assert.Equal(wine.Report.Student.Accuracy, report.Student.Accuracy);
        Assert.Equal(wine.Report.Teacher.MacroF1, report.Teacher.MacroF1);
        Assert.Equal(54, report.LabelledRows);
    }

    [Fact]
    public void WithoutALabelColumnOnlyFidelityIsReported()
    {
        var report = DistillationReport.Create(wine.Ml, WineTeacher, wine.Student, wine.Test,
            new DistillationReportOptions { LabelColumnName = "NoSuchColumn", MeasureLatency = false });
        Assert.Equal(0, report.LabelledRows);
        Assert.Null(report.Student.Accuracy);
        Assert.Equal(wine.Report.TopOneAgreement!.Value, report.TopOneAgreement!.Value, 12);
    }

    [Fact]
    public void ATeacherWithADifferentNumberOfClassesIsRejectedWithBothCounts()
    {
        var fourClasses = new StudentNetwork(13, [new DenseLayer(new float[4 * 13], new float[4], 13, 4)], StudentActivation.Relu, null, null);
        var path = Path.Combine(TempDir(), "four_class_teacher.onnx");
        StudentOnnxExporter.Save(fourClasses, path);
        var e = Assert.Throws<ArgumentException>(() => DistillationReport.Create(wine.Ml, path, wine.Model, wine.Test, new DistillationReportOptions { MeasureLatency = false }));
        Assert.Contains("4 values per row", e.Message);
        Assert.Contains("3 classes", e.Message);
    }

    [Fact]
    public void AModelWithoutAStudentIsRejected()
    {
        var notAStudent = WineLabelToKey(wine.Ml).Fit(wine.Test);
        var e = Assert.Throws<ArgumentException>(() => DistillationReport.Create(wine.Ml, WineTeacher, notAStudent, wine.Test));
        Assert.Contains("StudentTransformer", e.Message);
    }

    [Fact]
    public void JsonCarriesTheNumbersUnderCamelCaseNames()
    {
        using var json = JsonDocument.Parse(wine.Report.ToJson());
        var root = json.RootElement;
        Assert.Equal(wine.Report.Student.Accuracy!.Value, root.GetProperty("student").GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(wine.Report.Teacher.ExpectedCalibrationError!.Value, root.GetProperty("teacher").GetProperty("expectedCalibrationError").GetDouble(), 12);
        Assert.Equal(wine.Report.TopOneAgreement!.Value, root.GetProperty("topOneAgreement").GetDouble(), 12);
        Assert.Equal(wine.Report.MeanKlDivergence!.Value, root.GetProperty("meanKlDivergence").GetDouble(), 12);
        Assert.Equal(wine.Report.Student.Latency[1].P50Milliseconds, root.GetProperty("student").GetProperty("latency")[1].GetProperty("p50Milliseconds").GetDouble(), 12);
        Assert.Equal(10, root.GetProperty("trainingHistory").GetArrayLength());
        Assert.Equal(15, root.GetProperty("student").GetProperty("reliability").GetArrayLength());
    }

    [Fact]
    public void JsonWritesUnavailableNumbersAsNull()
    {
        var report = DistillationReport.Create(wine.Ml, WineTeacher, wine.Student, wine.Test,
            new DistillationReportOptions { LabelColumnName = "NoSuchColumn", MeasureLatency = false });
        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("student").GetProperty("accuracy").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("singleRowSpeedup").GetProperty(DistillationReport.OnnxRuntime).ValueKind);
    }

    [Fact]
    public void TextAndMarkdownShowEachNumberFormatted()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        string accuracy = wine.Report.Student.Accuracy!.Value.ToString("P2", inv);
        string agreement = wine.Report.TopOneAgreement!.Value.ToString("P2", inv);
        string kl = wine.Report.MeanKlDivergence!.Value.ToString("F4", inv);
        foreach (var text in new[] { wine.Report.ToString(), wine.Report.ToMarkdown() })
        {
            Assert.Contains(accuracy, text);
            Assert.Contains(agreement, text);
            Assert.Contains(kl, text);
            Assert.Contains("Latency p50, 1 row (ML.NET)", text);
            Assert.Contains(wine.Report.Teacher.ParameterCount.ToString("N0", inv), text);
        }
        Assert.Contains("| Metric | Teacher | Student | Student vs teacher |", wine.Report.ToMarkdown());
    }
}
