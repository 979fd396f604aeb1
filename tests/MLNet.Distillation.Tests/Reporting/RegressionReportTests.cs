using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Export;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Reporting;
using MLNet.Distillation.Students;

namespace MLNet.Distillation.Tests.Reporting;

/// <summary>
/// The report of regression students — boston (one output, a rank-1 [N] teacher) and digits-completion (26 outputs) —
/// checked against ML.NET's regression evaluator on the same scores.
/// </summary>
public class RegressionReportTests(TaskReportFixture tasks) : IClassFixture<TaskReportFixture>
{
    private TaskReportFixture.TaskCase Boston => tasks.Regression;
    private TaskReportFixture.TaskCase Digits => tasks.MultiOutput;

    private sealed class Scored
    {
        public float Label { get; set; }
        public float Score { get; set; }
    }

    [Fact]
    public void TheStudentsRmseMaeAndRSquaredAreMlNetsRegressionEvaluators()
    {
        var r = Boston.Report;
        Assert.Equal(DistillationTask.Regression, r.Task);
        var metrics = tasks.Ml.Regression.Evaluate(Boston.Model.Transform(Boston.Test));
        Assert.Equal(metrics.RootMeanSquaredError, r.Student.RootMeanSquaredError!.Value, 4);
        Assert.Equal(metrics.MeanAbsoluteError, r.Student.MeanAbsoluteError!.Value, 4);
        Assert.Equal(metrics.RSquared, r.Student.RSquared!.Value, 5);
        Assert.Single(r.Student.PerOutput!);
        Assert.Equal(r.Student.RootMeanSquaredError, r.Student.PerOutput![0].RootMeanSquaredError);
        Assert.Equal(100, r.LabelledRows);
    }

    [Fact]
    public void TheTeachersNumbersAreMlNetsOnTheTeachersColumnAndFidelityIsTheDistanceBetweenTheColumns()
    {
        var scored = Boston.Model.Transform(Boston.Test);
        var labels = scored.GetColumn<float>("Label").ToArray();
        var teacher = scored.GetColumn<float[]>("Teacher").Select(t => t[0]).ToArray();
        var student = scored.GetColumn<float>("Score").ToArray();
        var metrics = tasks.Ml.Regression.Evaluate(tasks.Ml.Data.LoadFromEnumerable(labels.Zip(teacher, (l, t) => new Scored { Label = l, Score = t }).ToArray()));
        Assert.Equal(metrics.RootMeanSquaredError, Boston.Report.Teacher.RootMeanSquaredError!.Value, 4);
        Assert.Equal(metrics.RSquared, Boston.Report.Teacher.RSquared!.Value, 5);
        // The fidelity RMSE is ML.NET's RMSE of the student's scores with the teacher's outputs as labels.
        var fidelity = tasks.Ml.Regression.Evaluate(tasks.Ml.Data.LoadFromEnumerable(teacher.Zip(student, (t, s) => new Scored { Label = t, Score = s }).ToArray()));
        Assert.Equal(fidelity.RootMeanSquaredError, Boston.Report.TeacherFidelityRmse!.Value, 4);
        // tools/make_task_data.py: the teacher's RMSE on the full boston test split is 3.40 ($1000s); these are its first 100 rows.
        Assert.InRange(Boston.Report.Teacher.RootMeanSquaredError!.Value, 1.0, 6.0);
    }

    [Fact]
    public void EachOutputOfAMultiOutputStudentIsMlNetsEvaluateMultiOutputAndTheHeadlineIsTheirMean()
    {
        var r = Digits.Report;
        var perOutput = tasks.Ml.Regression.EvaluateMultiOutput(Digits.Model.Transform(Digits.Test));
        Assert.Equal(26, perOutput.Count);
        Assert.Equal(26, r.Student.PerOutput!.Count);
        for (int k = 0; k < 26; k++)
        {
            Assert.Equal(k, r.Student.PerOutput[k].Output);
            Assert.Equal(perOutput[k].RootMeanSquaredError, r.Student.PerOutput[k].RootMeanSquaredError!.Value, 5);
            Assert.Equal(perOutput[k].MeanAbsoluteError, r.Student.PerOutput[k].MeanAbsoluteError!.Value, 5);
        }
        Assert.Equal(perOutput.Average(m => m.RootMeanSquaredError), r.Student.RootMeanSquaredError!.Value, 5);
        Assert.Equal(26, r.TeacherFidelityRmsePerOutput!.Count);
        Assert.Equal(r.TeacherFidelityRmsePerOutput.Average(), r.TeacherFidelityRmse!.Value, 12);
        // tools/make_task_data.py: the tough teacher's mean per-output RMSE on the full test split is 0.187 (pixels / 16).
        Assert.InRange(r.Teacher.RootMeanSquaredError!.Value, 0.1, 0.3);
        var markdown = r.ToMarkdown();
        Assert.Contains("## Per output", markdown);
        Assert.Contains("RMSE (mean over 26 outputs)", markdown);
    }

    [Fact]
    public void RowsWithANaNLabelCountOnlyForFidelity()
    {
        var ml = tasks.Ml;
        var labels = Boston.Test.GetColumn<float>("Label").ToArray();
        var features = Boston.Test.GetColumn<float[]>("Features").ToArray();
        var hidden = ml.Data.LoadFromEnumerable(labels.Select((l, i) => new BostonRow { Label = i % 4 == 0 ? float.NaN : l, Features = features[i] }).ToArray());
        var r = DistillationReport.Create(ml, Boston.Teacher, Boston.Model, hidden, new DistillationReportOptions { MeasureLatency = false });
        Assert.Equal(100, r.Rows);
        Assert.Equal(75, r.LabelledRows);
        Assert.Equal(Boston.Report.TeacherFidelityRmse!.Value, r.TeacherFidelityRmse!.Value, 12);
        var kept = Boston.Model.Transform(Boston.Test);
        var rows = kept.GetColumn<float>("Label").Zip(kept.GetColumn<float>("Score"), (l, s) => new Scored { Label = l, Score = s }).Where((_, i) => i % 4 != 0).ToArray();
        Assert.Equal(ml.Regression.Evaluate(ml.Data.LoadFromEnumerable(rows)).RootMeanSquaredError, r.Student.RootMeanSquaredError!.Value, 4);
    }

    [Fact]
    public void TextMarkdownJsonAndPlotsShowTheRegressionNumbers()
    {
        var r = Boston.Report;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        foreach (var text in new[] { r.ToString(), r.ToMarkdown() })
        {
            Assert.Contains("RMSE to teacher (fidelity)", text);
            Assert.Contains(r.TeacherFidelityRmse!.Value.ToString("G4", inv), text);
            Assert.Contains(r.Student.RSquared!.Value.ToString("F4", inv), text);
            Assert.DoesNotContain("Accuracy", text);
            Assert.DoesNotContain("agreement with teacher", text);
        }
        Assert.Contains("Validation RMSE to teacher", r.ToMarkdown());
        Assert.DoesNotContain("## Reliability", r.ToMarkdown());
        using var json = JsonDocument.Parse(r.ToJson());
        var root = json.RootElement;
        Assert.Equal("Regression", root.GetProperty("task").GetString());
        Assert.Equal(r.Student.RootMeanSquaredError!.Value, root.GetProperty("student").GetProperty("rootMeanSquaredError").GetDouble(), 12);
        Assert.Equal(r.TeacherFidelityRmse!.Value, root.GetProperty("teacherFidelityRmse").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("topOneAgreement").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("student").GetProperty("accuracy").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("student").GetProperty("areaUnderRocCurve").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("calibrationBins").ValueKind);
        Assert.True(double.IsFinite(root.GetProperty("trainingHistory")[0].GetProperty("validationRmse").GetDouble()));

        var written = r.Save(TestData.TempDir()).Select(p => Path.GetFileName(p)).Order().ToArray();
        Assert.Equal(new[] { "distillation-report.json", "distillation-report.md", "latency.png", "size.png", "throughput.png", "training-loss.png", "training-metrics.png" }, written);
        Assert.Equal([DistillationReport.OnnxRuntime, DistillationReport.MlNet], Digits.Report.Student.Latency.Select(l => l.Runtime));
    }

    [Fact]
    public void ATeacherWithADifferentNumberOfOutputsIsRefusedWithBothCounts()
    {
        var threeOutputs = new StudentNetwork(12, [new DenseLayer(new float[3 * 12], new float[3], 12, 3)], StudentActivation.Relu, null, null, DistillationTask.Regression);
        var path = Path.Combine(TestData.TempDir(), "three_outputs.onnx");
        StudentOnnxExporter.Save(threeOutputs, path);
        var e = Assert.Throws<ArgumentException>(() => DistillationReport.Create(tasks.Ml, path, Boston.Model, Boston.Test, new DistillationReportOptions { MeasureLatency = false }));
        Assert.Contains("'three_outputs.onnx' gives 3 values per row", e.Message);
        Assert.Contains("has 1 output", e.Message);
    }

    private sealed class BostonRow
    {
        public float Label { get; set; }
        [VectorType(12)] public float[] Features { get; set; } = [];
    }
}
