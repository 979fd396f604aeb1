using Microsoft.ML;
using MLNet.Distillation.Export;
using MLNet.Distillation.Reporting;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Tests.StudentBodies;

namespace MLNet.Distillation.Tests.Reporting;

/// <summary>DistillationReport on a text student: the teacher reads its own column, the student its token keys; both are timed.</summary>
public class TextReportTests
{
    /// <summary>An ONNX "teacher" that returns the fixture's naive-Bayes log-posteriors (float [batch, 3] → logits).</summary>
    private static void WriteNaiveBayesTeacher(string path)
    {
        var g = new OnnxGraphBuilder("naive_bayes");
        g.AddInput("log_posteriors", OnnxElementType.Float, [null, 3]);
        g.AddNode("Identity", ["log_posteriors"], "logits");
        g.AddOutput("logits", OnnxElementType.Float, [null, 3]);
        File.WriteAllBytes(path, g.ToBytes());
    }

    [Fact]
    public void TheReportComparesATextStudentWithItsTeacherAndTimesIt()
    {
        var (model, student, _) = TextStudentTests.Fit("cnn", teacher: "Teacher", epochs: 5);
        using var folder = new TempFolder();
        var teacherPath = folder.File("naive_bayes.onnx");
        WriteNaiveBayesTeacher(teacherPath);
        var ml = new MLContext(seed: 1);
        var options = WineReportFixture.FastTiming();
        options.Teacher = new DistillOptions { InputColumnName = "Teacher" };
        var report = DistillationReport.Create(ml, teacherPath, model, FortunesData.Split(ml, "test"), options);

        Assert.Equal(96, report.Rows);
        Assert.StartsWith(student.Network.ToString(), report.Student.Description);
        Assert.Equal(student.ParameterCount, report.Student.ParameterCount);
        Assert.Equal([DistillationReport.OnnxRuntime, DistillationReport.MlNet], report.Student.Latency.Select(l => l.Runtime));
        Assert.All(report.Student.Latency, l => Assert.True(l.P50Milliseconds > 0 && double.IsFinite(l.ThroughputRowsPerSecond)));
        Assert.InRange(report.TopOneAgreement!.Value, 0, 1);
        Assert.Contains("text-cnn", report.ToString());
    }
}
