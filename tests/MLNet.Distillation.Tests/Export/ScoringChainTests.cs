using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Export;

/// <summary>The stock ML.NET chain a trained student scores and saves through (Export/MlNetScoringPipeline.cs).</summary>
public class ScoringChainTests
{
    private const int FeatureCount = 16;

    public sealed class Row
    {
        [VectorType(FeatureCount)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    /// <summary>Two rows per class around a random centre per class; labels "c0" … "c{K−1}", key order = class order.</summary>
    private static IDataView ManyClasses(MLContext ml, int classes)
    {
        var rng = new Random(classes);
        var centres = Enumerable.Range(0, classes).Select(_ => Enumerable.Range(0, FeatureCount).Select(_ => (float)rng.NextDouble() * 4).ToArray()).ToArray();
        var rows = Enumerable.Range(0, 2 * classes).Select(i => new Row
        {
            Features = centres[i % classes].Select(c => c + (float)(rng.NextDouble() * 0.1)).ToArray(),
            Label = $"c{i % classes}",
        }).ToArray();
        return ml.Data.LoadFromEnumerable(rows);
    }

    private static TransformerChain<StudentTransformer> FitLinearStudent(MLContext ml, IDataView data, int classes)
    {
        var keyData = ml.Data.LoadFromEnumerable(Enumerable.Range(0, classes).Select(c => new ClassName { Value = $"c{c}" }));
        return ml.Transforms.Conversion.MapValueToKey("Label", keyData: keyData)
            .Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions { HiddenLayers = [], Epochs = 2, BatchSize = 256, LearningRate = 0.05, Seed = 1 }))
            .Fit(data);
    }

    [Fact]
    public void AThousandClassStudentRoundTripsWithIdenticalScoresAndLabels()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var data = ManyClasses(ml, 1000);
        using var model = FitLinearStudent(ml, data, 1000);
        ml.Model.Save(model, data.Schema, folder.File("student.zip"));

        var fresh = new MLContext();
        var loaded = fresh.Model.Load(folder.File("student.zip"), out _);
        try
        {
            var before = model.Transform(data);
            var after = loaded.Transform(data);
            Assert.Equal(ReadVectors(before, "Score"), ReadVectors(after, "Score"));
            var keys = ReadKeys(before, "PredictedLabel");
            Assert.Equal(keys, ReadKeys(after, "PredictedLabel"));
            Assert.True(keys.Distinct().Count() > 100, $"only {keys.Distinct().Count()} distinct predicted classes: the round trip would prove little");
            Assert.Equal(new KeyDataViewType(typeof(uint), 1000), after.Schema["PredictedLabel"].Type);
            // The predicted key is the argmax of the scores, in the label's key order.
            var scores = ReadVectors(after, "Score");
            Assert.All(Enumerable.Range(0, keys.Length), i => Assert.Equal(ArgMax(scores[i]) + 1, (int)keys[i]));
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void SavedSizeGrowsLinearlyWithTheNumberOfClasses()
    {
        using var folder = new TempFolder();
        long Size(int classes)
        {
            var ml = new MLContext(seed: 1);
            var data = ManyClasses(ml, classes);
            using var model = FitLinearStudent(ml, data, classes);
            var path = folder.File($"student-{classes}.zip");
            ml.Model.Save(model, data.Schema, path);
            return new FileInfo(path).Length;
        }
        long hundred = Size(100), thousand = Size(1000);
        // A linear student over 16 features holds 17·K weights; ten times the classes may cost up to ~10× the bytes, never ~100×.
        Assert.True(thousand <= 12 * hundred, $"100 classes: {hundred:N0} bytes, 1,000 classes: {thousand:N0} bytes ({(double)thousand / hundred:F1}×)");
    }

    [Fact]
    public void ScoreCarriesTheClassNamesAsSlotNamesBeforeAndAfterLoading()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var data = ManyClasses(ml, 5);
        using var model = FitLinearStudent(ml, data, 5);
        ml.Model.Save(model, data.Schema, folder.File("student.zip"));
        var loaded = new MLContext().Model.Load(folder.File("student.zip"), out _);
        try
        {
            foreach (var scored in new[] { model.Transform(data), loaded.Transform(data) })
            {
                VBuffer<ReadOnlyMemory<char>> names = default;
                scored.Schema["Score"].GetSlotNames(ref names);
                Assert.Equal(["c0", "c1", "c2", "c3", "c4"], names.DenseValues().Select(n => n.ToString()));
            }
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void DisposingTheStudentDisposesItsScoringChain()
    {
        var ml = new MLContext(seed: 1);
        var data = ManyClasses(ml, 3);
        var model = FitLinearStudent(ml, data, 3);
        var student = model.LastTransformer;
        student.Dispose();
        Assert.ThrowsAny<Exception>(() => ReadVectors(student.Transform(data), "Score"));
    }
}
