using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using Xunit.Abstractions;

namespace MLNet.Distillation.Tests.Losses;

/// <summary>
/// A multiclass student trained with a logit loss plus a hint on the teacher's embedding column: the hint's projection
/// trains with the student, its term is logged, and neither the ML.NET model nor the ONNX export carries it.
/// </summary>
public class HintTrainingTests(ITestOutputHelper output)
{
    private const int F = 6, D = 8, K = 3;

    private sealed class Row
    {
        [VectorType(F)] public float[] Features { get; set; } = [];
        [VectorType(K)] public float[] TeacherLogits { get; set; } = [];
        [VectorType(D)] public float[] TeacherEmbedding { get; set; } = [];
        public uint Label { get; set; }
    }

    /// <summary>A fixed "teacher": embedding tanh(W x), logits a linear read-out of it, and the class it predicts as the label.</summary>
    private static IDataView Data(MLContext ml, int rows, int seed)
    {
        var rng = new Random(seed);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Label)].ColumnType = new KeyDataViewType(typeof(uint), K);
        var w = Enumerable.Range(0, D * F).Select(i => (float)Math.Sin(1.3 * i + 0.7)).ToArray();
        var v = Enumerable.Range(0, K * D).Select(i => (float)Math.Cos(0.9 * i + 0.2) * 2f).ToArray();
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(_ =>
        {
            var x = Enumerable.Range(0, F).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
            var e = Enumerable.Range(0, D).Select(j => (float)Math.Tanh(Enumerable.Range(0, F).Sum(i => w[j * F + i] * x[i]))).ToArray();
            var z = Enumerable.Range(0, K).Select(k => Enumerable.Range(0, D).Sum(j => v[k * D + j] * e[j])).ToArray();
            uint label = (uint)Array.IndexOf(z, z.Max()) + 1;
            return new Row { Features = x, TeacherLogits = z, TeacherEmbedding = e, Label = label };
        }).ToArray(), schema);
    }

    [Fact]
    public void A_multiclass_student_trains_with_a_hint_logs_it_and_exports_without_the_projection()
    {
        var ml = new MLContext(seed: 1);
        var train = Data(ml, 600, 1);
        var test = Data(ml, 200, 2);
        var student = ml.MulticlassClassification.Trainers.Student(new StudentOptions
        {
            TeacherColumnName = "TeacherLogits", HiddenLayers = [16], Epochs = 30, BatchSize = 32, LearningRate = 0.01, Seed = 3,
            Loss = DistillationLoss.TeacherCorrected(1, 0.5) + DistillationLoss.Hint("TeacherEmbedding"),
        }).Fit(train);

        Assert.Contains("hint-mse", student.LossName);
        Assert.All(student.History, e => Assert.Contains("hint-mse", e.LossTerms.Keys));
        double first = student.History[0].LossTerms["hint-mse"], last = student.History[^1].LossTerms["hint-mse"];
        Assert.True(last < 0.5 * first, $"the hint term should fall as the projection and the student learn: {first} → {last}");
        var accuracy = ml.MulticlassClassification.Evaluate(student.Transform(test)).MicroAccuracy;
        output.WriteLine($"hint-mse {first:F4} (epoch 1) → {last:F4} (epoch {student.History.Count}); test accuracy {accuracy:F3}");
        Assert.True(accuracy > 0.8, $"accuracy {accuracy}");

        // The student is the MLP alone: F·16 + 16 + 16·K + K parameters; the hint's 16·D + D projection is not in it.
        long studentParameters = F * 16 + 16 + 16 * K + K;
        Assert.Equal(studentParameters, student.Network.ParameterCount);
        using var folder = new TempFolder();
        var path = folder.File("student.onnx");
        student.ExportToOnnx(path);
        long exported = MLNet.Distillation.Reporting.OnnxParameterCounter.Count(path);
        output.WriteLine($"ONNX numbers {exported}; student parameters {studentParameters}; projection {16 * D + D}");
        Assert.True(exported == studentParameters || exported == studentParameters + F,
            $"the ONNX file holds {exported} numbers; the student has {studentParameters} (+{F} feature means when the centring is not folded), the projection {16 * D + D}");
    }
    [Theory]
    [InlineData("hint-cos")]
    [InlineData("hint-nd")]
    [InlineData("hint-mi")]
    [InlineData("rkd-distance")]
    [InlineData("rkd-angle")]
    [InlineData("relation-graph")]
    public void Every_representation_loss_trains_alongside_a_logit_loss_and_is_logged(string term)
    {
        var ml = new MLContext(seed: 1);
        DistillationLoss representation = term switch
        {
            "hint-cos" => DistillationLoss.Hint("TeacherEmbedding", distance: HintDistance.Cosine, projection: HintProjection.Mlp),
            "hint-nd" => DistillationLoss.Hint("TeacherEmbedding", distance: HintDistance.Nd),
            "hint-mi" => DistillationLoss.Hint("TeacherEmbedding", distance: HintDistance.MiAlpha),
            "rkd-distance" => DistillationLoss.RkdDistance("TeacherEmbedding"),
            "rkd-angle" => DistillationLoss.RkdAngle(),
            _ => DistillationLoss.RelationGraph("TeacherEmbedding"),
        };
        var student = ml.MulticlassClassification.Trainers.Student(new StudentOptions
        {
            TeacherColumnName = "TeacherLogits", HiddenLayers = [16], Epochs = 12, BatchSize = 32, LearningRate = 0.01, Seed = 3,
            Loss = DistillationLoss.TeacherCorrected(1, 0.5) + representation,
        }).Fit(Data(ml, 400, 3));
        Assert.All(student.History, e => Assert.True(double.IsFinite(e.LossTerms[term]), $"{term}: {e.LossTerms[term]}"));
        var accuracy = ml.MulticlassClassification.Evaluate(student.Transform(Data(ml, 200, 4))).MicroAccuracy;
        output.WriteLine($"{term}: {student.History[0].LossTerms[term]:F4} → {student.History[^1].LossTerms[term]:F4}; test accuracy {accuracy:F3}");
        Assert.True(accuracy > 0.8, $"{term}: accuracy {accuracy}");
        Assert.Equal(F * 16 + 16 + 16 * K + K, student.Network.ParameterCount);
    }
}
