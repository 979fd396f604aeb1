using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Training;

/// <summary>The label's key order and the teacher's output order: aligned with a log line, or refused with the fix — never silent.</summary>
public class ClassAlignmentTests
{
    private static StudentOptions Small(ClassAlignment alignment = ClassAlignment.Auto) => new()
    {
        TeacherColumnName = "TeacherLogits", HiddenLayers = [16], Epochs = 30, BatchSize = 32, LearningRate = 0.01, Seed = 7, ClassAlignment = alignment,
    };

    private static (ITransformer Model, List<string> Log) Fit(MLContext ml, IEstimator<ITransformer> labels, StudentOptions options, DistillOptions? teacher = null)
    {
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        teacher ??= new DistillOptions { TeacherModelPath = WineTeacher, InputColumnName = "Features", OutputColumnName = "TeacherLogits" };
        var model = labels.Append(ml.Transforms.Distill(teacher)).Append(ml.MulticlassClassification.Trainers.Student(options)).Fit(WineSplit(ml, "train"));
        return (model, log);
    }

    private static double Accuracy(MLContext ml, ITransformer model)
        => ml.MulticlassClassification.Evaluate(model.Transform(WineSplit(ml, "test"))).MicroAccuracy;

    [Fact]
    public void The_common_MapValueToKey_line_without_keyData_is_aligned_by_the_evidence_and_said_in_the_log()
    {
        var ml = new MLContext(seed: 1);
        var (model, log) = Fit(ml, ml.Transforms.Conversion.MapValueToKey("Label"), Small());
        var line = Assert.Single(log, m => m.Contains("Class order") && m.Contains("aligned"));
        Assert.Contains("by the evidence of the labelled rows", line);
        Assert.Contains("'class_2' (key 1) → teacher output 2", line);
        Assert.True(Accuracy(ml, model) > 0.85, $"accuracy {Accuracy(ml, model)}");
    }

    [Fact]
    public void Refuse_stops_before_training_with_the_mapping_and_the_one_line_fix()
    {
        var ml = new MLContext(seed: 1);
        int epochs = 0;
        var options = Small(ClassAlignment.Refuse);
        options.Progress = _ => epochs++;
        var e = Assert.Throws<ArgumentException>(() => Fit(ml, ml.Transforms.Conversion.MapValueToKey("Label"), options));
        Assert.Contains("'class_2' (key 1) → teacher output 2", e.Message);
        Assert.Contains("MapValueToKey(\"Label\", keyData:", e.Message);
        Assert.Equal(0, epochs);
    }

    [Fact]
    public void Keys_in_the_teacher_order_pass_without_a_warning()
    {
        var ml = new MLContext(seed: 1);
        var (_, log) = Fit(ml, WineLabelToKey(ml), Small(ClassAlignment.Refuse));
        Assert.DoesNotContain(log, m => m.Contains("aligned"));
        Assert.Contains(log, m => m.Contains("Class order: label 'Label' keys match teacher column 'TeacherLogits'"));
    }

    [Fact]
    public void Named_teacher_classes_align_by_name()
    {
        var ml = new MLContext(seed: 1);
        var teacher = new DistillOptions { TeacherModelPath = WineTeacher, OutputColumnName = "TeacherLogits", ClassNames = WineClasses };
        var (model, log) = Fit(ml, ml.Transforms.Conversion.MapValueToKey("Label"), Small(), teacher);
        Assert.Contains(log, m => m.Contains("aligned by class name"));
        Assert.True(Accuracy(ml, model) > 0.85);
    }

    [Fact]
    public void Class_names_the_teacher_does_not_know_are_refused_by_name()
    {
        var ml = new MLContext(seed: 1);
        var teacher = new DistillOptions { TeacherModelPath = WineTeacher, OutputColumnName = "TeacherLogits", ClassNames = ["class_0", "class_1", "barolo"] };
        var e = Assert.Throws<ArgumentException>(() => Fit(ml, ml.Transforms.Conversion.MapValueToKey("Label"), Small(), teacher));
        Assert.Contains("'class_2'", e.Message);
        Assert.Contains("'barolo'", e.Message);
    }

    [Fact]
    public void Class_names_of_the_wrong_count_are_refused_at_the_teacher()
    {
        var ml = new MLContext(seed: 1);
        var teacher = new DistillOptions { TeacherModelPath = WineTeacher, OutputColumnName = "TeacherLogits", ClassNames = ["a", "b"] };
        var e = Assert.Throws<ArgumentException>(() => ml.Transforms.Distill(teacher).Fit(WineSplit(ml, "train")).Transform(WineSplit(ml, "train")));
        Assert.Contains("DistillOptions.ClassNames lists 2 classes", e.Message);
        Assert.Contains("3 values per row", e.Message);
    }

    [Fact]
    public void Class_names_in_the_onnx_metadata_become_slot_names_of_the_teacher_column()
    {
        var dir = Directory.CreateTempSubdirectory("mlnet-distillation-tests-").FullName;
        try
        {
            var path = Path.Combine(dir, "named.onnx");
            File.WriteAllBytes(path, WithMetadata(File.ReadAllBytes(WineTeacher), "id2label", "{\"0\": \"class_0\", \"1\": \"class_1\", \"2\": \"class_2\"}"));
            var ml = new MLContext(seed: 1);
            using var transformer = ml.Transforms.Distill("TeacherLogits", "Features", path).Fit(WineSplit(ml, "train"));
            var column = transformer.GetOutputSchema(WineSplit(ml, "train").Schema)["TeacherLogits"];
            VBuffer<ReadOnlyMemory<char>> names = default;
            column.GetSlotNames(ref names);
            Assert.Equal(WineClasses, names.DenseValues().Select(n => n.ToString()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Integer_labels_with_one_MapValueToKey_line_are_aligned_by_value()
    {
        var ml = new MLContext(seed: 1);
        var ints = ml.Data.LoadFromEnumerable(ml.Data.CreateEnumerable<WineRow>(WineSplit(ml, "train"), false)
            .Select(r => new IntRow { Label = int.Parse(r.Label["class_".Length..]), Features = r.Features }).ToList());
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.Student(Small()))
            .Fit(ints);
        Assert.Contains(log, m => m.Contains("aligned by value"));
        var scored = model.Transform(ints);
        Assert.True(ml.MulticlassClassification.Evaluate(scored).MicroAccuracy > 0.9);
    }

    [Fact]
    public void A_decisive_confusion_gives_the_permutation()
    {
        var labels = Labels(0, 0, 0, 1, 1, 1, 2, 2, 2);
        var teacher = Rows(OneHot([1, 1, 0, 2, 2, 2, 0, 0, 0], 3), 3);       // class 0 → output 1 (2 of 3), 1 → 2, 2 → 0
        var aligner = new ClassAligner(ClassAlignment.Auto, _ => { }, _ => { });
        aligner.Align(Column("T"), null, labels, teacher, 3);
        Assert.Equal([1, 2, 0], aligner.OrderOf("T")!);
        Assert.Equal(OneHot([0, 0, 2, 1, 1, 1, 2, 2, 2], 3), Values(teacher));
    }

    [Fact]
    public void A_weak_teacher_in_key_order_is_accepted_as_it_is()
    {
        // Class 2 is mostly predicted as 1 (no majority of its own), but no other order fits better than the key order.
        var labels = Labels(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2);
        var teacher = Rows(OneHot([0, 0, 0, 1, 1, 1, 1, 0, 2, 1, 1, 2], 3), 3);
        var aligner = new ClassAligner(ClassAlignment.Auto, _ => { }, _ => { });
        aligner.Align(Column("T"), null, labels, teacher, 3);
        Assert.Null(aligner.OrderOf("T"));
    }

    [Fact]
    public void Evidence_that_points_away_from_the_key_order_without_deciding_is_refused()
    {
        // Classes 0 and 1 are each split between outputs 0 and 1, both leaning to the other one: a swap fits better, but no majority decides it.
        var labels = Labels(0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2);
        var teacher = Rows(OneHot([1, 1, 0, 2, 2, 0, 0, 1, 2, 2, 2, 2, 2, 2], 3), 3);
        var aligner = new ClassAligner(ClassAlignment.Auto, _ => { }, _ => { });
        var e = Assert.Throws<ArgumentException>(() => aligner.Align(Column("T"), null, labels, teacher, 3));
        Assert.Contains("do not decide how", e.Message);
        Assert.Contains("Fix:", e.Message);
    }

    [Fact]
    public void Off_trusts_the_key_order()
    {
        var labels = Labels(0, 0, 0, 1, 1, 1);
        var teacher = Rows(OneHot([1, 1, 1, 0, 0, 0], 2), 2);
        var aligner = new ClassAligner(ClassAlignment.Off, _ => { }, _ => { });
        aligner.Align(Column("T"), null, labels, teacher, 2);
        Assert.Null(aligner.OrderOf("T"));
        Assert.Equal(OneHot([1, 1, 1, 0, 0, 0], 2), Values(teacher));
    }

    [Fact]
    public void The_assignment_maximises_the_total_count()
    {
        long[][] counts = [[5, 9, 1], [8, 7, 0], [0, 2, 6]];
        Assert.Equal([1, 0, 2], Assignment.Maximise(counts, 3));
    }

    [Theory]
    [InlineData("[\"cat\", \"dog\"]")]
    [InlineData("{\"1\": \"dog\", \"0\": \"cat\"}")]
    [InlineData("cat, dog")]
    public void Class_lists_parse_from_json_lists_id2label_objects_and_commas(string text)
        => Assert.Equal(["cat", "dog"], TeacherClassNames.Parse(text)!);

    private static RowStore<int> Labels(params int[] labels)
    {
        var store = new RowStore<int>(1, labels.Length);
        foreach (var label in labels) store.Append()[0] = label;
        return store;
    }

    private static RowStore<float> Rows(float[] values, int k)
    {
        var store = new RowStore<float>(k, values.Length / k);
        for (int r = 0; r < values.Length / k; r++) values.AsSpan(r * k, k).CopyTo(store.Append());
        return store;
    }

    private static float[] Values(RowStore<float> store) => Enumerable.Range(0, store.Count).SelectMany(r => store[r].ToArray()).ToArray();

    private static float[] OneHot(int[] top, int k)
    {
        var v = new float[top.Length * k];
        for (int i = 0; i < top.Length; i++) v[i * k + top[i]] = 1;
        return v;
    }

    private static DataViewSchema.Column Column(string name)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(name, new VectorDataViewType(NumberDataViewType.Single, 3));
        return builder.ToSchema()[name];
    }

    /// <summary>Appends a metadata_props entry (ModelProto field 14) to a serialised ONNX model.</summary>
    private static byte[] WithMetadata(byte[] model, string key, string value)
    {
        var entry = new List<byte>();
        void Field(List<byte> to, int number, byte[] bytes)
        {
            to.Add((byte)(number << 3 | 2));
            for (uint n = (uint)bytes.Length; ; n >>= 7) { if (n < 0x80) { to.Add((byte)n); break; } to.Add((byte)(n & 0x7F | 0x80)); }
            to.AddRange(bytes);
        }
        Field(entry, 1, Encoding.UTF8.GetBytes(key));
        Field(entry, 2, Encoding.UTF8.GetBytes(value));
        var result = new List<byte>(model);
        Field(result, 14, entry.ToArray());
        return result.ToArray();
    }

    private sealed class IntRow
    {
        public int Label { get; set; }
        [VectorType(13)] public float[] Features { get; set; } = [];
    }
}
