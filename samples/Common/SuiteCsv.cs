using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Samples;

/// <summary>
/// The suite's CSV splits (tools/make_suite.py and the scripts built on it write <c>Label,F0,…</c> files), read the same
/// way by every evidence runner: the splits, the label-scarce training rows, the key labels and accuracy.
/// </summary>
public static class SuiteCsv
{
    /// <summary>Loads split <paramref name="split"/> of the task in <paramref name="directory"/>: a string Label then <paramref name="features"/> floats, the header checked.</summary>
    /// <param name="remakeWith">The script that makes the task, named in the message when the file does not fit.</param>
    public static IDataView Load(MLContext ml, string directory, string task, string split, int features, string remakeWith)
    {
        var path = Path.Combine(directory, $"{split}.csv");
        if (!File.Exists(path)) throw new FileNotFoundException($"Task '{task}' has no {split} split: '{path}' does not exist.", path);
        using (var reader = new StreamReader(path))
        {
            var header = reader.ReadLine() ?? "";
            int columns = header.Split(',').Length;
            if (!header.StartsWith("Label,", StringComparison.Ordinal) || columns != features + 1)
                throw new InvalidDataException($"'{path}': header has {columns} columns starting '{header[..Math.Min(20, header.Length)]}'; expected Label then {features} features (task.json). Remake it with {remakeWith} --force.");
        }
        return ml.Data.LoadFromTextFile(path,
            [new TextLoader.Column("Label", DataKind.String, 0), new TextLoader.Column("Features", DataKind.Single, 1, features)],
            separatorChar: ',', hasHeader: true);
    }

    /// <summary>
    /// The rows of <paramref name="trainFile"/> (as <see cref="Load"/> reads them) with all but a seeded
    /// <paramref name="fraction"/> of the labels removed (<paramref name="keepUnlabelled"/>), or only the labelled rows (otherwise).
    /// </summary>
    public static IDataView LabelScarce(MLContext ml, IDataView trainFile, int features, double fraction, int seed, bool keepUnlabelled)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features);
        var rows = ml.Data.CreateEnumerable<Row>(trainFile, reuseRowObject: false, schemaDefinition: schema).ToList();
        int labelled = LabelledRows(rows.Count, fraction);
        var order = Enumerable.Range(0, rows.Count).ToArray();
        new Random(seed).Shuffle(order);
        var keep = order.Take(labelled).ToHashSet();
        var chosen = keepUnlabelled
            ? rows.Select((r, i) => keep.Contains(i) ? r : new Row { Label = "", Features = r.Features })
            : rows.Where((_, i) => keep.Contains(i));
        return ml.Data.LoadFromEnumerable(chosen.ToList(), schema);
    }

    /// <summary>How many of <paramref name="trainRows"/> keep their label at <paramref name="fraction"/> (at least one).</summary>
    public static int LabelledRows(int trainRows, double fraction) => Math.Max(1, (int)Math.Round(fraction * trainRows));

    /// <summary>The key labels (0-based; −1 = missing) of the Label column of <paramref name="data"/>.</summary>
    public static int[] Labels(IDataView data)
    {
        var result = new List<int>();
        using var cursor = data.GetRowCursor([data.Schema["Label"]]);
        var getter = cursor.GetGetter<uint>(data.Schema["Label"]);
        uint key = 0;
        while (cursor.MoveNext())
        {
            getter(ref key);
            result.Add((int)key - 1);
        }
        return result.ToArray();
    }

    /// <summary>Share of positions where <paramref name="predicted"/> equals <paramref name="truth"/>.</summary>
    public static double Accuracy(int[] predicted, int[] truth) => predicted.Zip(truth).Count(p => p.First == p.Second) / (double)truth.Length;

    private sealed class Row
    {
        public string Label { get; set; } = "";
        public float[] Features { get; set; } = [];
    }
}
