using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Tests.Robust;

/// <summary>The robust multi-teacher fixtures (made by tools/make_robust_fixtures.py and tools/make_robust_goldens.py).</summary>
public static class RobustDigits
{
    public static string Fixture(string name) => TestData.Fixture(Path.Combine("robust", name));

    public static readonly string CleanTeacher = Fixture("digits_clean_teacher.onnx");
    public static readonly string RobustTeacher = Fixture("digits_robust_teacher.onnx");

    public static JsonElement Reference => JsonDocument.Parse(File.ReadAllText(Fixture("robust_reference.json"))).RootElement;
    public static JsonElement Goldens => JsonDocument.Parse(File.ReadAllText(Fixture("robust_goldens.json"))).RootElement;

    public sealed class Row
    {
        public float Label { get; set; }
        [VectorType(64)] public float[] Features { get; set; } = [];
    }

    public sealed class Key
    {
        public float Value { get; set; }
    }

    /// <summary>The rows of one split ("train": 1,257, "test": 540) of scikit-learn's digits, in file order.</summary>
    public static IDataView Split(MLContext ml, string split)
    {
        using var gz = new GZipStream(File.OpenRead(Fixture("digits.csv.gz")), CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        reader.ReadLine();
        var rows = new List<Row>();
        while (reader.ReadLine() is { } line)
        {
            var parts = line.Split(',');
            if (parts[^1] != split) continue;
            rows.Add(new Row { Label = float.Parse(parts[0]), Features = parts[1..^1].Select(float.Parse).ToArray() });
        }
        return ml.Data.LoadFromEnumerable(rows);
    }

    /// <summary>Label → key in the teachers' class order (0..9).</summary>
    public static IEstimator<ITransformer> LabelToKey(MLContext ml)
        => ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(Enumerable.Range(0, 10).Select(c => new Key { Value = c })));
}
