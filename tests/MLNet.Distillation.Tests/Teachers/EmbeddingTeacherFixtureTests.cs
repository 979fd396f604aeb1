using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Evaluation;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Teachers;

/// <summary>
/// The committed embedding-teacher fixture (Fixtures/embeddings/, made by tools/make_embedding_teachers.py --fixtures): a
/// digits MLP exported with two outputs, "logits" and "embedding", read into two columns by Transforms.Distill and
/// compared with PyTorch's values; and an embedding student distilled from it on the fixture's rows.
/// </summary>
public class EmbeddingTeacherFixtureTests
{
    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    private readonly MLContext _ml = new(seed: 1);

    private static string Embeddings(string name) => Fixture(Path.Combine("embeddings", name));

    private static JsonElement EmbeddingReference => JsonDocument.Parse(File.ReadAllText(Embeddings("reference.json"))).RootElement;

    private IDataView Load(string split) => _ml.Data.LoadFromTextFile(Embeddings($"{split}.csv"),
        [new TextLoader.Column("Label", DataKind.String, 0), new TextLoader.Column("Features", DataKind.Single, 1, 64)],
        separatorChar: ',', hasHeader: true);

    private ITransformer Prepare(IDataView data)
        => _ml.Transforms.Conversion.MapValueToKey("Label", keyData: _ml.Data.LoadFromEnumerable(Digits.Select(c => new ClassName { Value = c })))
            .Append(_ml.Transforms.Distill(new DistillOptions
            {
                InputColumnName = "Features",
                TeacherModelPath = Embeddings("digits_embedding_teacher.onnx"),
                OutputColumns = { ["logits"] = "TeacherLogits", ["embedding"] = "TeacherEmbedding" },
            }))
            .Fit(data);

    private static void AssertClose(float[][] expected, float[][] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (int j = 0; j < expected[i].Length; j++)
                Assert.True(Math.Abs(expected[i][j] - actual[i][j]) <= tolerance * Math.Max(1, Math.Abs(expected[i][j])),
                    $"row {i}, index {j}: expected {expected[i][j]}, got {actual[i][j]}");
        }
    }

    [Fact]
    public void BothOutputsMatchPyTorchOnTheFirstTestRows()
    {
        var test = _ml.Data.TakeRows(Load("test"), 8);
        var output = Prepare(test).Transform(test);
        var reference = EmbeddingReference;
        Assert.Equal(10, ((VectorDataViewType)output.Schema["TeacherLogits"].Type).Size);
        Assert.Equal(32, ((VectorDataViewType)output.Schema["TeacherEmbedding"].Type).Size);
        AssertClose(ToArrays(reference.GetProperty("logits")), ReadVectors(output, "TeacherLogits"), 1e-4);
        AssertClose(ToArrays(reference.GetProperty("embedding")), ReadVectors(output, "TeacherEmbedding"), 1e-4);
    }

    [Fact]
    public void TheTeachersAccuracyOnTheFixtureRowsIsPyTorchs()
    {
        var test = Load("test");
        var output = Prepare(test).Transform(test);
        var logits = ReadVectors(output, "TeacherLogits");
        var labels = ReadKeys(output, "Label");
        double accuracy = logits.Zip(labels).Count(p => ArgMax(p.First) == p.Second - 1) / (double)labels.Length;
        Assert.Equal(EmbeddingReference.GetProperty("accuracy").GetProperty("fixture_test").GetDouble(), accuracy, 6);
        Assert.True(ReadVectors(output, "TeacherEmbedding").All(r => r.All(v => v >= 0)), "the embedding is a ReLU output: no negative value");
    }

    [Fact]
    public void AnEmbeddingStudentLearnsTheTeachersEmbeddingBetterThanItsStart()
    {
        var train = Load("train");
        var prep = Prepare(train);
        var rows = _ml.Data.Cache(prep.Transform(train));
        var test = _ml.Data.Cache(prep.Transform(Load("test")));
        EmbeddingMetrics Score(int epochs)
        {
            using var student = _ml.Transforms.EmbeddingStudent(new StudentOptions
            {
                TeacherColumnName = "TeacherEmbedding", HiddenLayers = [32], Epochs = epochs, Seed = 1, NumberOfThreads = 1,
            }).Fit(rows);
            return EmbeddingEvaluation.Evaluate(student.Transform(rows), student.Transform(test), "TeacherEmbedding", "Embedding", "Label", k: 5);
        }
        var untrained = Score(1);
        var trained = Score(200);
        Assert.True(trained.MeanCosineToTeacher > untrained.MeanCosineToTeacher + 0.1,
            $"cosine to the teacher after 200 epochs {trained.MeanCosineToTeacher:F3}, after 1 epoch {untrained.MeanCosineToTeacher:F3}");
        Assert.True(trained.NeighbourAgreement > untrained.NeighbourAgreement,
            $"neighbour agreement after 200 epochs {trained.NeighbourAgreement:F3}, after 1 epoch {untrained.NeighbourAgreement:F3}");
        Assert.Equal(100, trained.Queries);
        Assert.Equal(300, trained.ReferenceRows);
    }
}
