using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Export;

/// <summary>
/// Scoring a row whose features are not all finite: every probability in <c>Score</c> is NaN and <c>PredictedLabel</c> is
/// the missing key 0 (MapKeyToValue gives the empty name) — never a confident class. Rows beside it are unaffected.
/// </summary>
public class NonFiniteFeatureTests
{
    private static TransformerChain<StudentTransformer> FitWineStudent(MLContext ml)
        => WineLabelToKey(ml).Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions { HiddenLayers = [8], Epochs = 5, LearningRate = 0.01, Seed = 1 }))
            .Fit(WineSplit(ml, "train"));

    /// <summary>The first ten test rows, the third with <paramref name="value"/> in feature 4.</summary>
    private static (IDataView Clean, IDataView Damaged) Rows(MLContext ml, float value)
    {
        var rows = ml.Data.CreateEnumerable<WineRow>(WineSplit(ml, "test"), reuseRowObject: false).Take(10).ToArray();
        var damaged = rows.Select((r, i) => new WineRow { Label = r.Label, Split = r.Split, Features = i == 2 ? r.Features.Select((f, j) => j == 4 ? value : f).ToArray() : r.Features }).ToArray();
        return (ml.Data.LoadFromEnumerable(rows), ml.Data.LoadFromEnumerable(damaged));
    }

    private sealed class Named
    {
        public string PredictedLabel { get; set; } = "";
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void ANonFiniteFeatureGivesNaNScoresAndTheMissingKey(float value)
    {
        var ml = new MLContext(seed: 1);
        using var model = FitWineStudent(ml);
        var (clean, damaged) = Rows(ml, value);
        var scored = model.Transform(damaged);

        Assert.All(ReadVectors(scored, "Score")[2], p => Assert.True(float.IsNaN(p)));
        Assert.Equal(0u, ReadKeys(scored, "PredictedLabel")[2]);
        var names = ml.Data.CreateEnumerable<Named>(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored).Transform(scored), reuseRowObject: false).ToArray();
        Assert.Equal("", names[2].PredictedLabel);
    }

    [Fact]
    public void RowsBesideANonFiniteRowKeepTheirScoresAndClasses()
    {
        var ml = new MLContext(seed: 1);
        using var model = FitWineStudent(ml);
        var (clean, damaged) = Rows(ml, float.NaN);
        var expected = ReadVectors(model.Transform(clean), "Score");
        var actual = ReadVectors(model.Transform(damaged), "Score");
        var expectedKeys = ReadKeys(model.Transform(clean), "PredictedLabel");
        var actualKeys = ReadKeys(model.Transform(damaged), "PredictedLabel");
        foreach (int i in Enumerable.Range(0, 10).Where(i => i != 2))
        {
            Assert.Equal(expected[i], actual[i]);
            Assert.Equal(expectedKeys[i], actualKeys[i]);
        }
        Assert.All(expectedKeys, k => Assert.InRange(k, 1u, 3u));
    }

    [Fact]
    public void TheSavedModelGivesTheMissingKeyForANaNFeatureWithoutThisLibrary()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        using var model = FitWineStudent(ml);
        var (_, damaged) = Rows(ml, float.NaN);
        ml.Model.Save(model, damaged.Schema, folder.File("student.zip"));
        var loaded = new MLContext().Model.Load(folder.File("student.zip"), out _);
        try
        {
            var scored = loaded.Transform(damaged);
            Assert.Equal(0u, ReadKeys(scored, "PredictedLabel")[2]);
            Assert.All(ReadVectors(scored, "Score")[2], p => Assert.True(float.IsNaN(p)));
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void ThePredictionEngineGivesTheMissingKeyZeroForANaNFeature()
    {
        var ml = new MLContext(seed: 1);
        using var model = FitWineStudent(ml);
        using var engine = ml.Model.CreatePredictionEngine<WineRow, KeyPrediction>(model);
        var row = new WineRow { Label = "class_0", Features = Enumerable.Repeat(1f, 13).ToArray() };
        Assert.InRange(engine.Predict(row).PredictedLabel, 1u, 3u);
        row.Features[0] = float.NaN;
        Assert.Equal(0u, engine.Predict(row).PredictedLabel);
    }

    public sealed class KeyPrediction
    {
        public uint PredictedLabel { get; set; }
        public float[] Score { get; set; } = [];
    }
}
