using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Training;

/// <summary>Labels as users have them, and the ML.NET idioms that follow a trainer in an estimator chain.</summary>
public class LabelTests
{
    private static StudentOptions Small(string? teacher = "TeacherLogits") => new()
    {
        TeacherColumnName = teacher, HiddenLayers = [16], Epochs = 30, BatchSize = 32, LearningRate = 0.01, Seed = 7,
    };

    [Fact]
    public void The_canonical_multiclass_pipeline_maps_PredictedLabel_back_to_the_class_names()
    {
        var ml = new MLContext(seed: 1);
        var model = WineLabelToKey(ml)
            .Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.Student(Small()))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedValue", "PredictedLabel"))
            .Fit(WineSplit(ml, "train"));
        var scored = model.Transform(WineSplit(ml, "test"));
        var predicted = ml.Data.CreateEnumerable<Predicted>(scored, false).Select(p => p.PredictedValue).ToArray();
        var truth = ml.Data.CreateEnumerable<WineRow>(WineSplit(ml, "test"), false).Select(r => r.Label).ToArray();
        Assert.All(predicted, p => Assert.Contains(p, WineClasses));
        Assert.True(predicted.Zip(truth).Count(p => p.First == p.Second) > 0.85 * truth.Length);
        Assert.True(ml.MulticlassClassification.Evaluate(scored).MicroAccuracy > 0.85);
    }

    [Fact]
    public void The_estimator_declares_slot_names_on_Score_and_the_label_key_values_on_PredictedLabel()
    {
        var ml = new MLContext(seed: 1);
        var input = WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher)).GetOutputSchema(ShapeOf(WineSplit(ml, "train").Schema));
        var output = ml.MulticlassClassification.Trainers.Student(Small()).GetOutputSchema(input);
        var predicted = output.Single(c => c.Name == "PredictedLabel");
        Assert.True(predicted.IsKey);
        Assert.Contains(predicted.Annotations, a => a.Name == "KeyValues" && a.ItemType is TextDataViewType);
        Assert.Contains(output.Single(c => c.Name == "Score").Annotations, a => a.Name == "SlotNames");
    }

    [Fact]
    public void A_KeyType_uint_label_trains_and_evaluates()
        => FitsKeyLabels(r => new UIntKeyRow { Label = r.Key, Features = r.Features });

    [Fact]
    public void A_KeyType_byte_label_trains_and_evaluates()
        => FitsKeyLabels(r => new ByteKeyRow { Label = (byte)r.Key, Features = r.Features });

    [Fact]
    public void A_KeyType_ulong_label_trains_and_evaluates()
        => FitsKeyLabels(r => new ULongKeyRow { Label = r.Key, Features = r.Features });

    [Fact]
    public void A_float_label_is_refused_before_any_epoch_with_the_MapValueToKey_line()
    {
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.CreateEnumerable<WineRow>(WineSplit(ml, "train"), false).Select(r => new FloatRow { Label = Array.IndexOf(WineClasses, r.Label), Features = r.Features }).ToList();
        int epochs = 0;
        var options = Small(null);
        options.Progress = _ => epochs++;
        var e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(options).Fit(ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("Label column 'Label' has type Single", e.Message);
        Assert.Contains("MapValueToKey(\"Label\")", e.Message);
        Assert.Equal(0, epochs);
    }

    private static void FitsKeyLabels<T>(Func<(uint Key, float[] Features), T> make) where T : class
    {
        var ml = new MLContext(seed: 1);
        IDataView Split(string split) => ml.Data.LoadFromEnumerable(ml.Data.CreateEnumerable<WineRow>(WineSplit(ml, split), false)
            .Select(r => make(((uint)Array.IndexOf(WineClasses, r.Label), r.Features))).ToList());   // LoadFromEnumerable reads a [KeyType] field 0-based: value v is key v + 1
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var options = Small();
        options.ClassAlignment = ClassAlignment.Refuse;    // the keys are in the teacher's order: nothing may need aligning
        var model = ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher)
            .Append(ml.MulticlassClassification.Trainers.Student(options))
            .Fit(Split("train"));
        Assert.Contains(log, m => m.Contains("keys match teacher column 'TeacherLogits'"));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(Split("test")));
        Assert.True(metrics.MicroAccuracy > 0.85, $"accuracy {metrics.MicroAccuracy}");
    }

    /// <summary>ML.NET's SchemaShape.Create(DataViewSchema) is internal; estimators outside ML.NET meet shapes made by it.</summary>
    private static SchemaShape ShapeOf(DataViewSchema schema)
        => (SchemaShape)typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)!
            .Invoke(null, [schema])!;

    private sealed class Predicted
    {
        public string PredictedValue { get; set; } = "";
    }

    private sealed class FloatRow
    {
        public float Label { get; set; }
        [VectorType(13)] public float[] Features { get; set; } = [];
    }

    private sealed class UIntKeyRow
    {
        [KeyType(3)] public uint Label { get; set; }
        [VectorType(13)] public float[] Features { get; set; } = [];
    }

    private sealed class ByteKeyRow
    {
        [KeyType(3)] public byte Label { get; set; }
        [VectorType(13)] public float[] Features { get; set; } = [];
    }

    private sealed class ULongKeyRow
    {
        [KeyType(3)] public ulong Label { get; set; }
        [VectorType(13)] public float[] Features { get; set; } = [];
    }
}
