using Microsoft.ML;
using MLNet.Distillation.Export;
using MLNet.Distillation.Reporting;
using MLNet.Distillation.Students;
using MLNet.Distillation.Tests.StudentBodies;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Reporting;

/// <summary>DistillationReport on a CNN student distilled from the Fashion-MNIST CNN teacher: description, parameters, size and latency.</summary>
public class CnnReportTests
{
    [Fact]
    public void TheReportDescribesSizesAndTimesACnnStudent()
    {
        var ml = new MLContext(seed: 1);
        var rows = CnnTestData.Rows(260);
        using var model = CnnTestData.Train(ml, ml.Data.LoadFromEnumerable(rows.Take(200)), CnnTestData.Options(), teacherColumn: "T");
        var student = model.LastTransformer;
        var report = DistillationReport.Create(ml, FashionTeacher, model, ml.Data.LoadFromEnumerable(rows.Skip(200)), WineReportFixture.FastTiming());

        var body = (CnnBody)student.Network.Body!;
        Assert.StartsWith("cnn 1×28×28 [4c3-bn-p2, 6c5pad1-bn-p3]-12-10 (relu dense layers)", report.Student.Description);
        Assert.DoesNotContain("MLP", report.Student.Description);
        // The report counts the exported graph's initializers: the folded convolutions (a bias per channel where training had
        // a batch norm's scale and shift) and the dense layers; the shape and normalisation constants are Constant nodes.
        long dense = student.Network.Layers.Sum(l => (long)l.Weights.Length + l.Bias.Length);
        Assert.Equal(body.InferenceParameterCount + dense, report.Student.ParameterCount);
        Assert.Equal(student.Network.ParameterCount - body.ParameterCount + body.InferenceParameterCount, report.Student.ParameterCount);
        Assert.Equal(StudentOnnxExporter.ToOnnx(student.Network, StudentOnnxExporter.InputName, student.ClassNames).LongLength, report.Student.FileBytes);
        Assert.True(report.ParameterRatio > 10, $"teacher {report.Teacher.ParameterCount} vs student {report.Student.ParameterCount} parameters");
        Assert.Equal([DistillationReport.OnnxRuntime, DistillationReport.MlNet], report.Student.Latency.Select(l => l.Runtime));
        Assert.All(report.Student.Latency, l => Assert.True(l.P50Milliseconds > 0 && double.IsFinite(l.ThroughputRowsPerSecond)));
        Assert.Equal(60, report.Rows);
        Assert.InRange(report.TopOneAgreement!.Value, 0, 1);
        Assert.Contains("cnn 1×28×28", report.ToString());
    }
}
