using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNet.Distillation.Evaluation;
using MLNet.Distillation.Export;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Tests.Tasks;

/// <summary>The embedding student: learns a teacher's embedding, writes a vector column, saves, exports, and is evaluated by neighbours.</summary>
public class EmbeddingStudentTests
{
    private const int D = 8;

    private sealed class Row
    {
        [VectorType(TaskData.FeatureCount)] public float[] Features { get; set; } = [];
        [VectorType(D)] public float[] TeacherEmbedding { get; set; } = [];
        public uint Label { get; set; }
    }

    /// <summary>A fixed nonlinear "teacher" embedding of the features, and a class (1..3) that it separates.</summary>
    private static IDataView Data(MLContext ml, int rows, int seed)
    {
        var rng = new Random(seed);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Label)].ColumnType = new KeyDataViewType(typeof(uint), 3);
        var w = Enumerable.Range(0, D * TaskData.FeatureCount).Select(i => (float)Math.Sin(1.7 * i + 0.3)).ToArray();
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(_ =>
        {
            var x = Enumerable.Range(0, TaskData.FeatureCount).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
            var e = Enumerable.Range(0, D).Select(j => (float)Math.Tanh(Enumerable.Range(0, TaskData.FeatureCount).Sum(i => w[j * TaskData.FeatureCount + i] * x[i]))).ToArray();
            double z = TaskData.Rule(x);
            return new Row { Features = x, TeacherEmbedding = e, Label = z < -1 ? 1u : z < 1 ? 2u : 3u };
        }).ToArray(), schema);
    }

    [Fact]
    public void AnEmbeddingStudentLearnsTheTeachersEmbeddingAndItsNeighbours()
    {
        var ml = new MLContext(seed: 1);
        var train = Data(ml, 800, 1);
        var test = Data(ml, 200, 2);
        using var student = ml.Transforms.EmbeddingStudent(new StudentOptions
        {
            TeacherColumnName = "TeacherEmbedding", HiddenLayers = [64], Epochs = 60, BatchSize = 32, Seed = 1, ValidationFraction = 0.1,
        }).Fit(train);
        Assert.Equal(DistillationTask.Embedding, student.Task);
        Assert.Contains("cosine", student.LossName);
        Assert.True(student.History[^1].ValidationTeacherCosine > 0.9, student.History[^1].ToString());

        var scoredTrain = student.Transform(train);
        var scoredTest = student.Transform(test);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, D), scoredTest.Schema["Embedding"].Type);
        var metrics = EmbeddingEvaluation.Evaluate(scoredTrain, scoredTest, "TeacherEmbedding", k: 5);
        Assert.True(metrics.MeanCosineToTeacher > 0.9, metrics.ToString());
        // By chance 5 of 800 reference rows would be shared: 0.6 %; the student retrieves far more of the teacher's neighbours.
        Assert.True(metrics.NeighbourAgreement > 0.2, metrics.ToString());
        Assert.True(metrics.StudentKnnAccuracy > metrics.TeacherKnnAccuracy - 0.1, metrics.ToString());
    }

    [Fact]
    public void TheEmbeddingExportsSavesAndLoadsWithTheSameNumbers()
    {
        var ml = new MLContext(seed: 1);
        var data = Data(ml, 200, 1);
        using var student = ml.Transforms.EmbeddingStudent("TeacherEmbedding", "Vec", hiddenLayers: [16], epochs: 3, seed: 2).Fit(data);
        var expected = student.Transform(data).GetColumn<float[]>("Vec").SelectMany(v => v).ToArray();

        using var folder = new TempFolder();
        ml.Model.Save(student, data.Schema, folder.File("student.zip"));
        using var loaded = (IDisposable)ml.Model.LoadStudent(folder.File("student.zip"), out _);
        Assert.Equal(expected, ((ITransformer)loaded).Transform(data).GetColumn<float[]>("Vec").SelectMany(v => v).ToArray());

        student.ExportToOnnx(folder.File("student.onnx"));
        var features = data.GetColumn<float[]>("Features").SelectMany(v => v).ToArray();
        using var session = new InferenceSession(folder.File("student.onnx"));
        using var input = OrtValue.CreateTensorValueFromMemory(features, [200, TaskData.FeatureCount]);
        using var outputs = session.Run(new RunOptions(), [StudentOnnxExporter.InputName], [input], [StudentOnnxExporter.EmbeddingOutput]);
        var onnx = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        for (int i = 0; i < onnx.Length; i++) Assert.True(Math.Abs(onnx[i] - expected[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"value {i}: {onnx[i]} vs {expected[i]}");
    }

    [Fact]
    public void NeighbourAgreementAndKnnAccuracyMatchABruteForceCount()
    {
        var ml = new MLContext(seed: 1);
        // Student = teacher on the first 20 rows' embeddings but with the last two dimensions swapped on the queries.
        var rows = Enumerable.Range(0, 30).Select(i => new EvalRow
        {
            Student = [(float)Math.Cos(i * 0.4), (float)Math.Sin(i * 0.4), i % 3 == 0 ? 1f : 0f],
            Teacher = [(float)Math.Cos(i * 0.4), (float)Math.Sin(i * 0.4), 0f],
            Label = i % 4 < 2 ? 0f : 1f,
        }).ToArray();
        var reference = ml.Data.LoadFromEnumerable(rows.Take(20));
        var queries = ml.Data.LoadFromEnumerable(rows.Skip(20));
        var m = EmbeddingEvaluation.Evaluate(reference, queries, "Teacher", "Student", "Label", k: 3);

        static float[] Unit(float[] v) { var n = Math.Sqrt(v.Sum(x => x * x)); return v.Select(x => (float)(x / n)).ToArray(); }
        static int[] Top(float[] q, IEnumerable<float[]> r, int k) => r.Select((v, i) => (Sim: Unit(q).Zip(Unit(v)).Sum(p => p.First * p.Second), i))
            .OrderByDescending(p => p.Sim).Take(k).Select(p => p.i).ToArray();
        double agreement = 0, sRight = 0, tRight = 0;
        foreach (var q in rows.Skip(20))
        {
            var ns = Top(q.Student, rows.Take(20).Select(r => r.Student), 3);
            var nt = Top(q.Teacher, rows.Take(20).Select(r => r.Teacher), 3);
            agreement += ns.Intersect(nt).Count() / 3.0;
            float Vote(int[] n) => n.Select(i => rows[i].Label).GroupBy(l => l).OrderByDescending(g => g.Count()).ThenBy(g => Array.IndexOf(n.Select(i => rows[i].Label).ToArray(), g.Key)).First().Key;
            if (Vote(ns) == q.Label) sRight++;
            if (Vote(nt) == q.Label) tRight++;
        }
        Assert.Equal(agreement / 10, m.NeighbourAgreement, 1e-9);
        Assert.Equal(sRight / 10, m.StudentKnnAccuracy, 1e-9);
        Assert.Equal(tRight / 10, m.TeacherKnnAccuracy, 1e-9);
        Assert.True(m.NeighbourAgreement < 1, "the swapped dimension must change some neighbours");

        // Embeddings of different widths are refused by name, not compared over the shorter one.
        var wide = ml.Data.LoadFromEnumerable(rows.Select(r => new WideRow { Student = [.. r.Student, 0f], Teacher = r.Teacher }).ToArray());
        var e = Assert.Throws<ArgumentException>(() => EmbeddingEvaluation.Evaluate(wide, wide, "Teacher", "Student", null, k: 3));
        Assert.Contains("'Student' holds 4", e.Message);
    }

    private sealed class WideRow
    {
        [VectorType(4)] public float[] Student { get; set; } = [];
        [VectorType(3)] public float[] Teacher { get; set; } = [];
    }

    private sealed class EvalRow
    {
        [VectorType(3)] public float[] Student { get; set; } = [];
        [VectorType(3)] public float[] Teacher { get; set; } = [];
        public float Label { get; set; }
    }

    [Fact]
    public void AnEmbeddingStudentWithoutItsTeacherColumnIsRefusedByName()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.Throws<ArgumentException>(() => ml.Transforms.EmbeddingStudent("Missing").Fit(Data(ml, 20, 1)));
        Assert.Contains("'Missing'", e.Message);
        var options = new StudentOptions { TeacherColumnName = "TeacherEmbedding", Loss = DistillationLoss.Hinton() };
        var e2 = Assert.Throws<ArgumentException>(() => ml.Transforms.EmbeddingStudent(options).Fit(Data(ml, 20, 1)));
        Assert.Contains("not Embedding", e2.Message);
    }
}
