using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Samples.Robust;

/// <summary>scikit-learn's digits as committed by tools/make_robust_fixtures.py (Label, 64 pixels 0..16, Split).</summary>
public static class Digits
{
    public sealed class Row
    {
        public float Label { get; set; }
        [VectorType(64)] public float[] Features { get; set; } = [];
    }

    private sealed class Key
    {
        public float Value { get; set; }
    }

    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>The rows of one split ("train" or "test"), in file order.</summary>
    public static IDataView Split(MLContext ml, string split)
    {
        using var gz = new GZipStream(File.OpenRead(Fixture("digits.csv.gz")), CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        reader.ReadLine();
        var rows = new List<Row>();
        while (reader.ReadLine() is { } line)
        {
            var parts = line.Split(',');
            if (parts[^1] == split)
                rows.Add(new Row { Label = float.Parse(parts[0]), Features = parts[1..^1].Select(float.Parse).ToArray() });
        }
        return ml.Data.LoadFromEnumerable(rows);
    }

    /// <summary>Label → key in the teachers' class order 0..9.</summary>
    public static IEstimator<ITransformer> LabelToKey(MLContext ml)
        => ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(Enumerable.Range(0, 10).Select(c => new Key { Value = c })));
}
