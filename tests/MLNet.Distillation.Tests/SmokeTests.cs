using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation;
using MLNet.Distillation.Training;
using TorchSharp;

public class SmokeTests
{
    public sealed class Row
    {
        [VectorType(4)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    [Fact]
    public void TorchLoads()
    {
        using var t = torch.ones(3);
        Assert.Equal(3f, t.sum().item<float>());
    }

    [Fact]
    public void EndToEnd()
    {
        var ml = new MLContext(seed: 1);
        ml.Log += (_, e) => { if (e.Source.StartsWith("Student") || e.Source.StartsWith("Distill")) Console.WriteLine(e.Message); };
        var rng = new Random(0);
        var rows = Enumerable.Range(0, 600).Select(i =>
        {
            int c = i % 3;
            return new Row { Features = Enumerable.Range(0, 4).Select(j => (float)(rng.NextDouble() + (j == c ? 2 : 0))).ToArray(), Label = $"c{c}" };
        }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var scratch = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.Student(epochs: 5)).Fit(data);
        var m = ml.MulticlassClassification.Evaluate(scratch.Transform(data));
        Console.WriteLine($"scratch acc {m.MacroAccuracy}");
        var student = (MLNet.Distillation.Students.StudentTransformer)scratch.LastTransformer;
        using var folder = new MLNet.Distillation.Tests.TempFolder();
        var dir = folder.Path;
        var teacherPath = Path.Combine(dir, "t.onnx");
        student.ExportToOnnx(teacherPath);
        var pipe = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Distill("TeacherLogits", "Features", teacherPath))
            .Append(ml.MulticlassClassification.Trainers.Student(teacherColumnName: "TeacherLogits", epochs: 5));
        var model = pipe.Fit(data);
        var m2 = ml.MulticlassClassification.Evaluate(model.Transform(data));
        Console.WriteLine($"kd acc {m2.MacroAccuracy}");
        ml.Model.Save(model, data.Schema, Path.Combine(dir, "m.zip"));
        var ml2 = new MLContext();
        using var loaded = (TransformerChain<ITransformer>)ml2.Model.Load(Path.Combine(dir, "m.zip"), out var schema);
        var m3 = ml2.MulticlassClassification.Evaluate(loaded.Transform(data));
        Console.WriteLine($"loaded acc {m3.MacroAccuracy}");
        var pe = ml2.Model.CreatePredictionEngine<Row, Pred>(loaded.Append(ml2.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(loaded.Transform(data))));
        Console.WriteLine(pe.Predict(rows[1]).PredictedLabel + " " + string.Join(",", pe.Predict(rows[1]).Score));
        Assert.True(m3.MacroAccuracy > 0.9);
    }

    public sealed class Pred { public string PredictedLabel { get; set; } = ""; public float[] Score { get; set; } = []; }
}
