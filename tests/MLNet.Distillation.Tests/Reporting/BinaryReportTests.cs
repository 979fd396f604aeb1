using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Reporting;

namespace MLNet.Distillation.Tests.Reporting;

/// <summary>The report of a binary student (pima, a 2-softmax teacher), checked against ML.NET's binary evaluator.</summary>
public class BinaryReportTests(TaskReportFixture tasks) : IClassFixture<TaskReportFixture>
{
    private TaskReportFixture.TaskCase Pima => tasks.Binary;

    private sealed class Scored
    {
        public bool Label { get; set; }
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }

    [Fact]
    public void TheStudentsAucAccuracyAndLogLossAreMlNetsBinaryEvaluators()
    {
        var report = Pima.Report;
        Assert.Equal(DistillationTask.BinaryClassification, report.Task);
        var metrics = tasks.Ml.BinaryClassification.Evaluate(Pima.Model.Transform(Pima.Test));
        Assert.Equal(metrics.AreaUnderRocCurve, report.Student.AreaUnderRocCurve!.Value, 9);
        Assert.Equal(metrics.Accuracy, report.Student.Accuracy!.Value, 9);
        // ML.NET's binary log-loss is in bits; the report's is in nats, as its multiclass one.
        Assert.Equal(metrics.LogLoss * Math.Log(2), report.Student.LogLoss!.Value, 5);
        Assert.Equal(100, report.Rows);
        Assert.Equal(100, report.LabelledRows);
    }

    [Fact]
    public void TheTeachersAucAndAccuracyAreMlNetsOnTheTeachersColumn()
    {
        // Independent of the report: the teacher's 2-softmax column (negative, positive), evaluated by ML.NET (which
        // thresholds a non-calibrated Score at 0: the log-odds).
        var scored = Pima.Model.Transform(Pima.Test);
        var labels = scored.GetColumn<float>("Label").ToArray();
        var teacher = scored.GetColumn<float[]>("Teacher").ToArray();
        var rows = labels.Zip(teacher, (l, t) => new Scored { Label = l == 1, Score = (float)Math.Log(t[1] / (double)t[0]), Probability = t[1], PredictedLabel = t[1] > 0.5f }).ToArray();
        var metrics = tasks.Ml.BinaryClassification.EvaluateNonCalibrated(tasks.Ml.Data.LoadFromEnumerable(rows));
        Assert.Equal(metrics.AreaUnderRocCurve, Pima.Report.Teacher.AreaUnderRocCurve!.Value, 9);
        Assert.Equal(metrics.Accuracy, Pima.Report.Teacher.Accuracy!.Value, 9);
        double agreement = teacher.Zip(scored.GetColumn<bool>("PredictedLabel")).Count(p => (p.First[1] > 0.5f) == p.Second) / (double)rows.Length;
        Assert.Equal(agreement, Pima.Report.TopOneAgreement!.Value, 9);
    }

    [Fact]
    public void ASigmoidTeacherAndItsSoftmaxTwinGiveTheSameTeacherNumbers()
    {
        var sigmoid = DistillationReport.Create(tasks.Ml, TaskReportFixture.File("pima", "teacher_sigmoid.onnx"), Pima.Model, Pima.Test,
            new DistillationReportOptions { MeasureLatency = false });
        Assert.Equal(Pima.Report.Teacher.AreaUnderRocCurve!.Value, sigmoid.Teacher.AreaUnderRocCurve!.Value, 4);
        Assert.Equal(Pima.Report.Teacher.Accuracy!.Value, sigmoid.Teacher.Accuracy!.Value, 9);
        Assert.Equal(Pima.Report.Teacher.LogLoss!.Value, sigmoid.Teacher.LogLoss!.Value, 4);
        Assert.Equal(Pima.Report.MeanKlDivergence!.Value, sigmoid.MeanKlDivergence!.Value, 4);
        Assert.Equal(Pima.Report.Student.AreaUnderRocCurve, sigmoid.Student.AreaUnderRocCurve);
    }

    [Fact]
    public void ABooleanLabelGivesTheSameNumbersAsItsSingleTwinAndNaNLabelsAreLeftOut()
    {
        var ml = tasks.Ml;
        var boolean = ml.Transforms.Conversion.ConvertType("Label", outputKind: DataKind.Boolean).Fit(Pima.Test).Transform(Pima.Test);
        var options = new DistillationReportOptions { MeasureLatency = false };
        var fromBoolean = DistillationReport.Create(ml, Pima.Teacher, Pima.Model, boolean, options);
        Assert.Equal(Pima.Report.Student.AreaUnderRocCurve, fromBoolean.Student.AreaUnderRocCurve);
        Assert.Equal(Pima.Report.Teacher.MacroF1, fromBoolean.Teacher.MacroF1);

        // The first 40 labels hidden (NaN): the labelled numbers come from the other 60 rows, agreement from all 100.
        var labels = Pima.Test.GetColumn<float>("Label").ToArray();
        var features = Pima.Test.GetColumn<float[]>("Features").ToArray();
        var hidden = ml.Data.LoadFromEnumerable(labels.Select((l, i) => new PimaRow { Label = i < 40 ? float.NaN : l, Features = features[i] }).ToArray());
        var partly = DistillationReport.Create(ml, Pima.Teacher, Pima.Model, hidden, options);
        Assert.Equal(60, partly.LabelledRows);
        Assert.Equal(Pima.Report.TopOneAgreement, partly.TopOneAgreement);
        var scored = Pima.Model.Transform(Pima.Test);
        var rows = scored.GetColumn<float>("Label").Zip(scored.GetColumn<float>("Score"), (l, s) => new Scored { Label = l == 1, Score = s, PredictedLabel = s > 0 }).Skip(40).ToArray();
        Assert.Equal(ml.BinaryClassification.EvaluateNonCalibrated(ml.Data.LoadFromEnumerable(rows)).AreaUnderRocCurve, partly.Student.AreaUnderRocCurve!.Value, 9);
    }

    [Fact]
    public void TextMarkdownAndJsonShowTheBinaryNumbersAndNullsForTheOtherTasks()
    {
        var r = Pima.Report;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        foreach (var text in new[] { r.ToString(), r.ToMarkdown() })
        {
            Assert.Contains("AUC (ROC)", text);
            Assert.Contains(r.Student.AreaUnderRocCurve!.Value.ToString("F4", inv), text);
            Assert.Contains("Predicted-label agreement with teacher", text);
            Assert.DoesNotContain("RMSE", text);
            Assert.DoesNotContain("NDCG", text);
        }
        Assert.Contains("## Reliability", r.ToMarkdown());
        using var json = JsonDocument.Parse(r.ToJson());
        var root = json.RootElement;
        Assert.Equal("BinaryClassification", root.GetProperty("task").GetString());
        Assert.Equal(r.Teacher.AreaUnderRocCurve!.Value, root.GetProperty("teacher").GetProperty("areaUnderRocCurve").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("student").GetProperty("rootMeanSquaredError").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("student").GetProperty("ndcg").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("teacherFidelityRmse").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("rankCorrelation").ValueKind);
    }

    [Fact]
    public void TheStudentIsTimedThroughItsBinaryOutputs()
    {
        Assert.Equal([DistillationReport.OnnxRuntime, DistillationReport.MlNet], Pima.Report.Student.Latency.Select(l => l.Runtime));
        Assert.All(Pima.Report.Student.Latency, l => Assert.True(l.P50Milliseconds > 0 && double.IsFinite(l.ThroughputRowsPerSecond)));
        var dir = TestData.TempDir();
        var written = Pima.Report.Save(dir).Select(Path.GetFileName).Order();
        Assert.Contains("reliability.png", written);
    }

    [Fact]
    public void ATeacherWithThreeOutputsIsRefusedForABinaryStudent()
    {
        var three = new MLNet.Distillation.Students.StudentNetwork(8, [new MLNet.Distillation.Students.DenseLayer(new float[3 * 8], new float[3], 8, 3)],
            MLNet.Distillation.Students.StudentActivation.Relu, null, null);
        var path = Path.Combine(TestData.TempDir(), "three.onnx");
        MLNet.Distillation.Export.StudentOnnxExporter.Save(three, path);
        var e = Assert.Throws<ArgumentException>(() => DistillationReport.Create(tasks.Ml, path, Pima.Model, Pima.Test, new DistillationReportOptions { MeasureLatency = false }));
        Assert.Contains("'three.onnx' gives 3 values per row", e.Message);
        Assert.Contains("binary", e.Message);
    }

    private sealed class PimaRow
    {
        public float Label { get; set; }
        [VectorType(8)] public float[] Features { get; set; } = [];
    }
}
