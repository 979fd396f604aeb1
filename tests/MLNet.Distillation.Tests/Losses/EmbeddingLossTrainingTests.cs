using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Training;
using Xunit.Abstractions;

namespace MLNet.Distillation.Tests.Losses;

/// <summary>Embedding students trained with the contrastive and triplet losses: the terms are logged and the student's embedding turns towards the teacher's.</summary>
public class EmbeddingLossTrainingTests(ITestOutputHelper output)
{
    private const int F = 6, D = 8;

    private sealed class Row
    {
        [VectorType(F)] public float[] Features { get; set; } = [];
        [VectorType(D)] public float[] TeacherEmbedding { get; set; } = [];
        public uint Label { get; set; }
    }

    private static IDataView Data(MLContext ml, int rows, int seed)
    {
        var rng = new Random(seed);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Label)].ColumnType = new KeyDataViewType(typeof(uint), 3);
        var w = Enumerable.Range(0, D * F).Select(i => (float)Math.Sin(1.1 * i + 0.4)).ToArray();
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(_ =>
        {
            var x = Enumerable.Range(0, F).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
            var e = Enumerable.Range(0, D).Select(j => (float)Math.Tanh(Enumerable.Range(0, F).Sum(i => w[j * F + i] * x[i]))).ToArray();
            return new Row { Features = x, TeacherEmbedding = e, Label = e[0] < -0.3 ? 1u : e[0] < 0.3 ? 2u : 3u };
        }).ToArray(), schema);
    }

    [Theory]
    [InlineData("contrastive", "embedding-nce")]
    [InlineData("supervised", "embedding-nce")]
    [InlineData("triplet", "embedding-triplet")]
    public void An_embedding_student_learns_the_teachers_directions_with_a_batch_loss(string which, string term)
    {
        var ml = new MLContext(seed: 1);
        var student = ml.Transforms.EmbeddingStudent(new StudentOptions
        {
            TeacherColumnName = "TeacherEmbedding", HiddenLayers = [32], Epochs = 30, BatchSize = 64, Seed = 2, ValidationFraction = 0.1,
            Loss = which switch
            {
                "contrastive" => DistillationLoss.EmbeddingContrastive(),
                "supervised" => DistillationLoss.EmbeddingContrastive(supervised: true),
                _ => DistillationLoss.EmbeddingTriplet(),
            },
        }).Fit(Data(ml, 600, 1));
        Assert.All(student.History, e => Assert.Contains(term, e.LossTerms.Keys));
        double first = student.History[0].ValidationTeacherCosine, last = student.History[^1].ValidationTeacherCosine;
        output.WriteLine($"{which}: {term} {student.History[0].LossTerms[term]:F4} → {student.History[^1].LossTerms[term]:F4}; validation cosine to the teacher {first:F3} → {last:F3}");
        // These losses rank the batch's teacher embeddings rather than copy one: the term falls, and the student's
        // embedding turns towards the teacher's without reaching the cosine loss's agreement.
        Assert.True(student.History[^1].LossTerms[term] < 0.7 * student.History[0].LossTerms[term], $"{term} did not fall");
        Assert.True(last > first + 0.1, $"validation cosine to the teacher {first} → {last}");
    }
}
