using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Students;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Persistence;

public class SaveLoadTests
{
    private static (ITransformer Model, DistillTransformer Teacher, IDataView Train, IDataView Test) Fit(MLContext ml)
    {
        var train = WineSplit(ml, "train");
        var model = WineLabelToKey(ml)
            .Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions { TeacherColumnName = "TeacherLogits", HiddenLayers = [16], Epochs = 10, LearningRate = 0.01, Seed = 3 }))
            .Fit(train);
        var teacher = model.OfType<DistillTransformer>().Single();
        return (model, teacher, train, WineSplit(ml, "test"));
    }

    [Fact]
    public void SavedModelLoadsInAFreshContextAndPredictsIdentically()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var (model, _, train, test) = Fit(ml);
        var path = folder.File("student.zip");
        ml.Model.Save(model, train.Schema, path);

        var fresh = new MLContext();
        using var loaded = (TransformerChain<ITransformer>)fresh.Model.Load(path, out var inputSchema);
        Assert.NotNull(inputSchema.GetColumnOrNull("Features"));
        var before = ReadVectors(model.Transform(test), "Score");
        var after = ReadVectors(loaded.Transform(test), "Score");
        Assert.Equal(before.Length, after.Length);
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i]);
        Assert.Equal(ReadKeys(model.Transform(test), "PredictedLabel"), ReadKeys(loaded.Transform(test), "PredictedLabel"));
    }

    [Fact]
    public void SavedModelHoldsNoTeacherAndDoesNotProduceTeacherColumns()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var (model, _, train, test) = Fit(ml);
        var path = folder.File("student.zip");
        ml.Model.Save(model, train.Schema, path);

        var teacherBytes = File.ReadAllBytes(WineTeacher);
        using (var zip = ZipFile.OpenRead(path))
            Assert.DoesNotContain(zip.Entries, e => e.Length == teacherBytes.Length);
        Assert.True(new FileInfo(path).Length < teacherBytes.Length, "the saved student should be smaller than the teacher it replaces");

        using var loaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(path, out _);
        Assert.DoesNotContain(EnumerateChain(loaded), t => t is DistillTransformer);
        Assert.Null(loaded.Transform(test).Schema.GetColumnOrNull("TeacherLogits"));
    }

    [Fact]
    public void ScoringNeverRunsTheTeacher()
    {
        var ml = new MLContext(seed: 1);
        var (model, teacher, train, test) = Fit(ml);
        long afterTraining = teacher.RowsScored;
        Assert.Equal(124, afterTraining);   // the teacher labelled each training row exactly once

        _ = ml.MulticlassClassification.Evaluate(model.Transform(test));
        var engine = ml.Model.CreatePredictionEngine<WineRow, ScoreOnly>(model);
        var prediction = engine.Predict(new WineRow { Features = new float[13], Label = "class_0" });
        Assert.Equal(3, prediction.Score.Length);
        Assert.Equal(afterTraining, teacher.RowsScored);
    }

    [Fact]
    public void PredictedLabelMapsBackToTheOriginalClassNamesAfterLoading()
    {
        var ml = new MLContext(seed: 1);
        var (model, _, train, test) = Fit(ml);
        var (fresh, loaded) = SaveAndLoad(ml, model, train);
        using var _ = loaded;
        var scored = loaded.Transform(test);
        var withNames = fresh.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored).Transform(scored);
        var predictions = fresh.Data.CreateEnumerable<Prediction>(withNames, false).ToArray();
        Assert.All(predictions, p => Assert.Contains(p.PredictedLabel, WineClasses));
        var truth = fresh.Data.CreateEnumerable<WineRow>(test, false).Select(r => r.Label).ToArray();
        Assert.True(predictions.Zip(truth).Count(p => p.First.PredictedLabel == p.Second) > 0.85 * truth.Length);
        Assert.Equal(scored.Schema["Label"].Type, scored.Schema["PredictedLabel"].Type);
    }

    [Fact]
    public void PredictionEngineOnTheLoadedModelMatchesTheTrainedModel()
    {
        var ml = new MLContext(seed: 1);
        var (model, _, train, test) = Fit(ml);
        var (fresh, loaded) = SaveAndLoad(ml, model, train);
        using var _ = loaded;
        var a = ml.Model.CreatePredictionEngine<WineRow, ScoreOnly>(model);
        var b = fresh.Model.CreatePredictionEngine<WineRow, ScoreOnly>(loaded);
        foreach (var row in ml.Data.CreateEnumerable<WineRow>(test, false).Take(10))
            Assert.Equal(a.Predict(row).Score, b.Predict(row).Score);
    }

    public sealed class NumericLabelRow
    {
        [VectorType(13)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    public sealed class NumericPrediction
    {
        public float PredictedLabel { get; set; }
    }

    [Fact]
    public void NumericLabelsSurviveTheRoundTrip()
    {
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.CreateEnumerable<WineRow>(WineSplit(ml, "train"), false)
            .Select(r => new NumericLabelRow { Features = r.Features, Label = 10f * (1 + Array.IndexOf(WineClasses, r.Label)) }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions { HiddenLayers = [8], Epochs = 20, LearningRate = 0.01, Seed = 1 }))
            .Fit(data);
        using var folder = new TempFolder();
        var path = folder.File("numeric.zip");
        ml.Model.Save(model, data.Schema, path);
        var fresh = new MLContext();
        using var loaded = (TransformerChain<ITransformer>)fresh.Model.Load(path, out _);
        var scored = loaded.Transform(data);
        var values = fresh.Data.CreateEnumerable<NumericPrediction>(fresh.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored).Transform(scored), false).ToArray();
        Assert.All(values, v => Assert.Contains(v.PredictedLabel, new[] { 10f, 20f, 30f }));
        Assert.True(values.Zip(rows).Count(p => p.First.PredictedLabel == p.Second.Label) > 0.85 * rows.Count);
    }

    public sealed class ScoreOnly
    {
        public float[] Score { get; set; } = [];
    }

    public sealed class Prediction
    {
        public float[] Score { get; set; } = [];
        public string PredictedLabel { get; set; } = "";
    }

    /// <summary>Saves with one context and loads with a fresh one, as a separate process would (dispose what it returns).</summary>
    private static (MLContext Fresh, TransformerChain<ITransformer> Loaded) SaveAndLoad(MLContext ml, ITransformer model, IDataView train)
    {
        using var folder = new TempFolder();
        var path = folder.File("student.zip");
        ml.Model.Save(model, train.Schema, path);
        var fresh = new MLContext();
        return (fresh, (TransformerChain<ITransformer>)fresh.Model.Load(path, out _));
    }

    private static IEnumerable<ITransformer> EnumerateChain(ITransformer t)
    {
        if (t is IEnumerable<ITransformer> chain)
            foreach (var inner in chain)
                foreach (var x in EnumerateChain(inner)) yield return x;
        else yield return t;
    }
}
