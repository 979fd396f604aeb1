using Parquet.Schema;
using ParquetReader = Parquet.ParquetReader;

namespace MLNet.Distillation.Parquet;

/// <summary>
/// One Parquet file as ML.NET sees it: its columns (mapped from the Parquet schema, vector sizes from the row groups'
/// metadata — no data is read), rows per row group and key-value metadata.
/// </summary>
internal sealed class ParquetFileSchema
{
    private ParquetFileSchema(string path, ParquetColumn[] columns, long[] rowGroupRows, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        Columns = columns;
        RowGroupRows = rowGroupRows;
        Metadata = metadata;
    }

    public string Path { get; }
    public ParquetColumn[] Columns { get; }
    public long[] RowGroupRows { get; }
    public long Rows => RowGroupRows.Sum();
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public const string Supported = "LoadFromParquet reads float, double, int32, int64, boolean and string columns, and lists of float or double of one length in every row (vectors)";

    /// <summary>Opens a Parquet file for reading, with errors that name it.</summary>
    public static ParquetReader Open(string path, out FileStream stream)
    {
        try { stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (FileNotFoundException e) { throw new FileNotFoundException($"Parquet file '{path}' does not exist.", path, e); }
        catch (DirectoryNotFoundException e) { throw new FileNotFoundException($"Parquet file '{path}' does not exist (no folder '{System.IO.Path.GetDirectoryName(path)}').", path, e); }
        try
        {
            return ParquetReader.CreateAsync(stream, leaveStreamOpen: false).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            stream.Dispose();
            throw new InvalidDataException($"'{path}' cannot be read as a Parquet file ({e.Message}).", e);
        }
    }

    /// <summary>Reads the schema of <paramref name="path"/>, keeping <paramref name="wanted"/> columns (all when null) in file order.</summary>
    public static ParquetFileSchema Read(string path, IReadOnlyCollection<string>? wanted)
    {
        var reader = Open(path, out _);
        try
        {
            var groups = Enumerable.Range(0, reader.RowGroupCount).Select(g => reader.OpenRowGroupReader(g)).ToArray();
            try
            {
                var rows = groups.Select(g => g.RowCount).ToArray();
                var names = reader.Schema.Fields.Select(f => f.Name).ToArray();
                if (wanted is not null)
                    foreach (var w in wanted)
                        if (!names.Contains(w))
                            throw new ArgumentException($"Parquet file '{path}' has no column '{w}'. Its columns: {string.Join(", ", names)}.");
                var columns = reader.Schema.Fields.Where(f => wanted is null || wanted.Contains(f.Name)).Select(f => Map(path, f, groups)).ToArray();
                return new ParquetFileSchema(path, columns, rows, reader.CustomMetadata ?? new Dictionary<string, string>());
            }
            finally
            {
                foreach (var g in groups) g.Dispose();
            }
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static ParquetColumn Map(string path, Field field, global::Parquet.ParquetRowGroupReader[] groups)
    {
        if (field is DataField scalar && scalar.MaxRepetitionLevel == 0)
        {
            ParquetColumnKind? kind = scalar.ClrType switch
            {
                var t when t == typeof(float) => ParquetColumnKind.Single,
                var t when t == typeof(double) => ParquetColumnKind.Double,
                var t when t == typeof(int) => ParquetColumnKind.Int32,
                var t when t == typeof(long) => ParquetColumnKind.Int64,
                var t when t == typeof(bool) => ParquetColumnKind.Boolean,
                var t when t == typeof(string) || t == typeof(ReadOnlyMemory<char>) => ParquetColumnKind.Text,
                _ => null,
            };
            if (kind is { } k) return new ParquetColumn(field.Name, scalar, k, 1);
            throw Unsupported(path, field, scalar.ClrType.Name);
        }
        if (field is ListField { Item: DataField item } list && item.MaxRepetitionLevel == 1)
        {
            ParquetColumnKind? kind = item.ClrType == typeof(float) ? ParquetColumnKind.SingleVector
                : item.ClrType == typeof(double) ? ParquetColumnKind.DoubleVector : null;
            if (kind is not { } k) throw Unsupported(path, field, $"list<{item.ClrType.Name}>");
            return new ParquetColumn(list.Name, item, k, VectorSize(path, list.Name, item, groups));
        }
        throw Unsupported(path, field, field.SchemaType.ToString().ToLowerInvariant() + (field is DataField { MaxRepetitionLevel: > 0 } ? " (repeated)" : ""));
    }

    /// <summary>
    /// A list column's vector size from the row groups' metadata: every row of a fixed-size column holds the same number of
    /// values, so each row group's value count is its row count times the size. Checked row by row when read.
    /// </summary>
    private static int VectorSize(string path, string name, DataField item, global::Parquet.ParquetRowGroupReader[] groups)
    {
        int? size = null;
        for (int g = 0; g < groups.Length; g++)
        {
            long rows = groups[g].RowCount;
            if (rows == 0) continue;
            long values = groups[g].GetMetadata(item)?.MetaData?.NumValues
                ?? throw new InvalidDataException($"Parquet file '{path}' row group {g} has no metadata for column '{name}'.");
            if (values % rows != 0 || values / rows == 0 || values / rows > int.MaxValue)
                throw new InvalidDataException($"Parquet file '{path}' column '{name}' holds lists of different lengths ({values} values in the {rows} rows of row group {g}); " +
                    "ML.NET vectors have one size: write every row's list with the same length (e.g. pyarrow's pa.list_(pa.float32(), 784) or Spark's array of a fixed length).");
            int here = (int)(values / rows);
            if (size is int s && s != here)
                throw new InvalidDataException($"Parquet file '{path}' column '{name}' holds lists of {s} values in an earlier row group and of {here} in row group {g}; ML.NET vectors have one size.");
            size = here;
        }
        return size ?? throw new InvalidDataException($"Parquet file '{path}' has no rows, so the size of the vectors in list column '{name}' is not known.");
    }

    private static NotSupportedException Unsupported(string path, Field field, string type)
        => new($"Parquet file '{path}' column '{field.Name}' is {type}; {Supported}. Leave the column out (the columns argument of LoadFromParquet) or convert it where the file is written.");
}
