using MLNet.Distillation.Reporting;
using static MLNet.Distillation.Tests.Reporting.HandMadePredictions;

namespace MLNet.Distillation.Tests.Reporting;

/// <summary>The report puts each hand-worked number under the right model and property.</summary>
public class ReportFromPredictionsTests
{
    private const double Tol = 1e-6;

    internal static DistillationReport HandMadeReport(int[]? labels = null) => DistillationReport.FromPredictions(
        new ModelSummary
        {
            Role = "Teacher", Description = "teacher.onnx", ParameterCount = 1000, FileBytes = 4096,
            Latency = [new LatencyStats(DistillationReport.OnnxRuntime, 2.0, 3.0, 1000, 16, 10, 64)],
        },
        new ModelSummary
        {
            Role = "Student", Description = "3-4-3 MLP", ParameterCount = 100, FileBytes = 1024,
            Latency = [new LatencyStats(DistillationReport.OnnxRuntime, 0.1, 0.2, 50000, 16, 10, 64), new LatencyStats(DistillationReport.MlNet, 0.25, 0.5, 8000, 16, 10, 64)],
        },
        Teacher, Student, labels ?? Labels, 5, [], "test machine");

    [Fact]
    public void StudentQualityNumbersAreTheHandWorkedOnes()
    {
        var s = HandMadeReport().Student;
        Assert.Equal(StudentAccuracy, s.Accuracy!.Value, Tol);
        Assert.Equal(StudentMacroF1, s.MacroF1!.Value, Tol);
        Assert.Equal(StudentLogLoss, s.LogLoss!.Value, Tol);
        Assert.Equal(StudentEce5, s.ExpectedCalibrationError!.Value, Tol);
    }

    [Fact]
    public void TeacherQualityNumbersAreTheHandWorkedOnes()
    {
        var t = HandMadeReport().Teacher;
        Assert.Equal(TeacherAccuracy, t.Accuracy!.Value, Tol);
        Assert.Equal(TeacherMacroF1, t.MacroF1!.Value, Tol);
        Assert.Equal(TeacherLogLoss, t.LogLoss!.Value, Tol);
        Assert.Equal(TeacherEce5, t.ExpectedCalibrationError!.Value, Tol);
    }

    [Fact]
    public void FidelityNumbersAreTheHandWorkedOnes()
    {
        var r = HandMadeReport();
        Assert.Equal(Agreement, r.TopOneAgreement!.Value, Tol);
        Assert.Equal(MeanKl, r.MeanKlDivergence!.Value, Tol);
        Assert.Equal(6, r.Rows);
        Assert.Equal(5, r.LabelledRows);
    }

    [Fact]
    public void RatiosDivideTeacherByStudent()
    {
        var r = HandMadeReport();
        Assert.Equal(4.0, r.CompressionRatio);
        Assert.Equal(10.0, r.ParameterRatio);
        Assert.Equal(20.0, r.SingleRowSpeedup()!.Value, 9);
        Assert.Equal(8.0, r.SingleRowSpeedup(DistillationReport.MlNet)!.Value, 9);
    }

    [Fact]
    public void WithoutLabelsOnlyFidelityIsReported()
    {
        var r = HandMadeReport([-1, -1, -1, -1, -1, -1]);
        Assert.Equal(0, r.LabelledRows);
        Assert.Null(r.Student.Accuracy);
        Assert.Null(r.Teacher.ExpectedCalibrationError);
        Assert.Equal(Agreement, r.TopOneAgreement!.Value, Tol);
    }
}
