using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Cli.Data;

/// <summary>
/// A data file as the commands read it: CSV/TSV text with a header line (column names and types as ML.NET's
/// <c>TextLoader</c> reads them: a column whose sampled values all parse as numbers is numeric, any other is text), or an
/// ML.NET binary file (<c>.idv</c>, written by <c>mlContext.Data.SaveAsBinary</c>) that carries its own schema.
/// </summary>
public sealed class TabularFile
{
    /// <summary>Rows read to decide whether a column is numeric.</summary>
    public const int SampledRows = 1000;

    private TabularFile(string path, bool binary, char separator, string[] header, bool[] numeric, long rows)
    {
        Path = path;
        IsBinary = binary;
        Separator = separator;
        Header = header;
        Numeric = numeric;
        Rows = rows;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Whether the file is an ML.NET binary data file rather than text.</summary>
    public bool IsBinary { get; }

    /// <summary>The text file's separator.</summary>
    public char Separator { get; }

    /// <summary>Column names: the header line of a text file, the schema of a binary one.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>For each column, whether it holds numbers (a binary file: a Single/Double/integer column or vector).</summary>
    public IReadOnlyList<bool> Numeric { get; }

    /// <summary>Data rows (lines after the header that are not empty; a binary file's row count).</summary>
    public long Rows { get; }

    /// <summary>Reads the header and a sample of <paramref name="path"/>.</summary>
    /// <param name="path">A .csv, .tsv or .txt file with a header line, or an .idv ML.NET binary file.</param>
    /// <param name="separator">The text separator; null: tab for .tsv, else the first of tab, comma, semicolon, bar found in the header line.</param>
    /// <param name="ml">The context that opens a binary file.</param>
    public static TabularFile Open(string path, char? separator, MLContext ml)
    {
        if (!File.Exists(path))
            throw new InputException($"Data file '{path}' was not found (looked at '{System.IO.Path.GetFullPath(path)}').");
        if (string.Equals(System.IO.Path.GetExtension(path), ".idv", StringComparison.OrdinalIgnoreCase))
        {
            IDataView view;
            try { view = ml.Data.LoadFromBinary(path); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InputException($"Data file '{path}' is not an ML.NET binary data file ({e.Message.Split('\n')[0]}); write one with mlContext.Data.SaveAsBinary, or give a CSV/TSV file.", e);
            }
            var columns = view.Schema.Where(c => !c.IsHidden).ToArray();
            return new TabularFile(path, true, ',', [.. columns.Select(c => c.Name)],
                [.. columns.Select(c => ((c.Type as VectorDataViewType)?.ItemType ?? c.Type) is NumberDataViewType)], view.GetRowCount() ?? -1);
        }

        using var reader = new StreamReader(path);
        var headerLine = reader.ReadLine();
        if (string.IsNullOrWhiteSpace(headerLine))
            throw new InputException($"Data file '{path}' is empty; it needs a header line with the column names, then one row per line.");
        char sep = separator ?? Sniff(path, headerLine);
        var header = Split(headerLine, sep);
        var blank = Array.FindIndex(header, string.IsNullOrWhiteSpace);
        if (blank >= 0)
            throw new InputException($"Data file '{path}': column {blank + 1} of the header line has no name; every column needs one (the separator is '{Describe(sep)}'; set another with --separator).");
        var numeric = Enumerable.Repeat(true, header.Length).ToArray();
        var seen = new bool[header.Length];
        long rows = 0;
        for (string? line; (line = reader.ReadLine()) is not null;)
        {
            if (line.Length == 0) continue;
            rows++;
            if (rows > SampledRows) continue;
            var fields = Split(line, sep);
            if (fields.Length != header.Length)
                throw new InputException($"Data file '{path}': line {rows + 1} has {fields.Length} fields but the header has {header.Length} columns (separator '{Describe(sep)}'). Fix the line, or set the separator with --separator.");
            for (int i = 0; i < fields.Length; i++)
            {
                if (fields[i].Length == 0) continue;
                seen[i] = true;
                if (numeric[i] && !double.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out _)) numeric[i] = false;
            }
        }
        if (rows == 0) throw new InputException($"Data file '{path}' has a header but no rows.");
        for (int i = 0; i < numeric.Length; i++) numeric[i] &= seen[i];
        return new TabularFile(path, false, sep, header, numeric, rows);
    }

    /// <summary>
    /// Loads the file with the columns the commands use: <c>Label</c> (text, Single, Boolean or a Single vector, as
    /// <paramref name="labelKind"/> says), <c>Features</c> (a Single vector of the <paramref name="features"/> columns in the
    /// order given) and, when <paramref name="group"/> is set, <c>GroupId</c> (UInt32).
    /// </summary>
    public IDataView Load(MLContext ml, int[]? label, DataKind labelKind, int[] features, int? group)
    {
        foreach (var f in features)
            if (!Numeric[f])
                throw new InputException($"Feature column '{Header[f]}' of '{Path}' is not numeric (a sampled value does not parse as a number, or the column is empty); leave it out with --ignore, or choose the features with --features.");
        if (IsBinary) return LoadBinary(ml, label, features, group);

        var columns = new List<TextLoader.Column>
        {
            new("Features", DataKind.Single, [.. features.Select(f => new TextLoader.Range(f))]),
        };
        if (label is { Length: > 0 }) columns.Add(new("Label", labelKind, [.. label.Select(l => new TextLoader.Range(l))]));
        if (group is int g) columns.Add(new("GroupId", DataKind.UInt32, g));
        var loader = ml.Data.CreateTextLoader(new TextLoader.Options
        {
            Columns = [.. columns], HasHeader = true, Separators = [Separator], AllowQuoting = true, TrimWhitespace = true,
        });
        return loader.Load(Path);
    }

    private IDataView LoadBinary(MLContext ml, int[]? label, int[] features, int? group)
    {
        var data = ml.Data.LoadFromBinary(Path);
        IEstimator<ITransformer> pipeline = ml.Transforms.Concatenate("Features", [.. features.Select(f => Header[f])]);
        if (label is { Length: 1 }) pipeline = pipeline.Append(ml.Transforms.CopyColumns("Label", Header[label[0]]));
        else if (label is { Length: > 1 }) pipeline = pipeline.Append(ml.Transforms.Concatenate("Label", [.. label.Select(l => Header[l])]));
        if (group is int g) pipeline = pipeline.Append(ml.Transforms.CopyColumns("GroupId", Header[g]));
        try { return pipeline.Fit(data).Transform(data); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new InputException($"Data file '{Path}': {e.Message}", e);
        }
    }

    private static char Sniff(string path, string headerLine)
    {
        if (string.Equals(System.IO.Path.GetExtension(path), ".tsv", StringComparison.OrdinalIgnoreCase)) return '\t';
        foreach (var c in "\t,;|") if (headerLine.Contains(c)) return c;
        return ',';
    }

    private static string[] Split(string line, char separator)
        => [.. line.Split(separator).Select(f => f.Trim().Trim('"'))];

    private static string Describe(char c) => c == '\t' ? "\\t" : c.ToString();
}
