using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Tests;

/// <summary>Committed fixtures (made by tools/make_fixtures.py) and small helpers shared by the tests.</summary>
public static class TestData
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);
    public static string Quickstart(string name) => Path.Combine(AppContext.BaseDirectory, "QuickstartData", name);

    public static readonly string WineTeacher = Fixture("wine_mlp_teacher.onnx");
    public static readonly string WineTeacherSoftmax = Fixture("wine_mlp_teacher_softmax.onnx");
    public static readonly string FashionTeacher = Quickstart("fashion_cnn_teacher.onnx");
    public static readonly string[] WineClasses = ["class_0", "class_1", "class_2"];

    public static JsonElement Reference => JsonDocument.Parse(File.ReadAllText(Fixture("fixtures_reference.json"))).RootElement;

    public sealed class WineRow
    {
        [LoadColumn(0)] public string Label { get; set; } = "";
        [LoadColumn(1, 13), VectorType(13)] public float[] Features { get; set; } = [];
        [LoadColumn(14)] public string Split { get; set; } = "";
    }

    public sealed class ClassName
    {
        public string Value { get; set; } = "";
    }

    /// <summary>All 178 wine rows in file order: Label (text), Features (13 raw floats), Split.</summary>
    public static IDataView Wine(MLContext ml) => ml.Data.LoadFromTextFile<WineRow>(Fixture("wine.csv"), separatorChar: ',', hasHeader: true);

    public static IDataView WineSplit(MLContext ml, string split) => ml.Data.FilterByCustomPredicate<WineRow>(Wine(ml), r => r.Split != split);

    /// <summary>Label → key in the teacher's class order (class_0, class_1, class_2).</summary>
    public static IEstimator<ITransformer> WineLabelToKey(MLContext ml)
        => ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(WineClasses.Select(c => new ClassName { Value = c })));

    public static float[][] ReadVectors(IDataView data, string column)
    {
        var result = new List<float[]>();
        using var cursor = data.GetRowCursor([data.Schema[column]]);
        var getter = cursor.GetGetter<VBuffer<float>>(data.Schema[column]);
        VBuffer<float> v = default;
        while (cursor.MoveNext())
        {
            getter(ref v);
            result.Add(v.DenseValues().ToArray());
        }
        return result.ToArray();
    }

    public static uint[] ReadKeys(IDataView data, string column)
    {
        var result = new List<uint>();
        using var cursor = data.GetRowCursor([data.Schema[column]]);
        var getter = cursor.GetGetter<uint>(data.Schema[column]);
        uint v = 0;
        while (cursor.MoveNext()) { getter(ref v); result.Add(v); }
        return result.ToArray();
    }

    public static int ArgMax(float[] v) => Array.IndexOf(v, v.Max());

    public static float[][] ToArrays(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();

    private static readonly List<string> TempDirs = new();

    static TestData() => AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteTempDirs();

    /// <summary>
    /// A fresh folder under the temp directory, deleted when the test process exits. Prefer
    /// <c>using var folder = new TempFolder()</c>, which deletes it when the test ends.
    /// </summary>
    public static string TempDir()
    {
        var path = Directory.CreateTempSubdirectory("mlnet-distillation-tests-").FullName;
        lock (TempDirs) TempDirs.Add(path);
        return path;
    }

    private static void DeleteTempDirs()
    {
        lock (TempDirs)
            foreach (var path in TempDirs)
                if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
    }
}
