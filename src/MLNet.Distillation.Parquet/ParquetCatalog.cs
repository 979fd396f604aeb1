using Microsoft.ML;
using MLNet.Distillation.Parquet;

namespace MLNet.Distillation;

/// <summary>
/// Parquet in and out for ML.NET (package MLNet.Distillation.Parquet): <c>mlContext.Data.LoadFromParquet(...)</c> and
/// <c>mlContext.Data.SaveAsParquet(...)</c>.
/// </summary>
/// <remarks>
/// Columns: Parquet float, double, int32, int64, boolean and string (UTF-8) columns read as ML.NET <c>Single</c>,
/// <c>Double</c>, <c>Int32</c>, <c>Int64</c>, <c>Boolean</c> and text; a Parquet LIST of float or double whose every row
/// holds the same number of values reads as a fixed-size vector (<c>VectorDataViewType</c> of that size) — the layout
/// pyarrow/pandas (a column of equal-length arrays, <c>pa.list_(pa.float32())</c> or <c>pa.list_(pa.float32(), 784)</c>)
/// and Spark (<c>array&lt;float&gt;</c>) write. Nulls read as NaN in float columns and vectors and as an empty string in
/// text columns; a null in an int, long or bool column, or a row whose list has another length, is an error naming the
/// file, the column and the row. Other Parquet types are refused, naming the file and column (leave them out with the
/// <c>columns</c> argument).
/// </remarks>
public static class ParquetCatalog
{
    /// <summary>
    /// Reads Parquet files as one <see cref="IDataView"/>, row group by row group as a cursor moves (nothing is read until
    /// then, and only the columns the cursor asks for). <c>GetRowCount</c> is known from the files' metadata. Rows come in
    /// file order, then row order; the view does not shuffle (shuffle downstream, as the student trainer does).
    /// </summary>
    /// <param name="catalog">The data catalog (<c>mlContext.Data</c>).</param>
    /// <param name="paths">Parquet files, or folders whose <c>*.parquet</c> files (e.g. Spark's part files) are read in name order. All must have the same columns.</param>
    /// <param name="columns">The columns to read (default null: all); columns of other types can be left out this way.</param>
    /// <exception cref="FileNotFoundException">A file or folder does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is not Parquet, its vectors are not of one size, or the files' columns differ.</exception>
    /// <exception cref="NotSupportedException">A column has a type ML.NET cannot hold (the message names the file and column).</exception>
    public static IDataView LoadFromParquet(this DataOperationsCatalog catalog, IEnumerable<string> paths, IEnumerable<string>? columns = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(paths);
        var files = new List<string>();
        foreach (var given in paths)
        {
            var path = Path.GetFullPath(given);
            if (Directory.Exists(path))
            {
                var parts = Directory.GetFiles(path, "*.parquet").Order(StringComparer.Ordinal).ToArray();
                if (parts.Length == 0) throw new FileNotFoundException($"Folder '{path}' holds no *.parquet files.", path);
                files.AddRange(parts);
            }
            else if (File.Exists(path)) files.Add(path);
            else throw new FileNotFoundException($"Parquet file '{path}' does not exist.", path);
        }
        if (files.Count == 0) throw new ArgumentException("LoadFromParquet needs at least one file.", nameof(paths));
        return new ParquetDataView(files, columns?.ToArray());
    }

    /// <summary>Reads one Parquet file (or a folder of part files) as an <see cref="IDataView"/>; see the overload for several.</summary>
    /// <param name="catalog">The data catalog (<c>mlContext.Data</c>).</param>
    /// <param name="path">A Parquet file, or a folder whose <c>*.parquet</c> files are read in name order.</param>
    /// <param name="columns">The columns to read (default null: all).</param>
    public static IDataView LoadFromParquet(this DataOperationsCatalog catalog, string path, IEnumerable<string>? columns = null)
        => catalog.LoadFromParquet([path], columns);

    /// <summary>
    /// Writes <paramref name="data"/> to a Parquet file, atomically (a temporary file beside it, renamed into place: a reader
    /// never sees a half-written file, a failed write leaves the old one). Float, double, int, long, bool and text columns
    /// become required Parquet columns; fixed-size float and double vectors become Parquet lists of that many values per
    /// row (what pandas and Spark read as arrays). Whether a teacher column holds logits or probabilities and its class
    /// names are kept in the file's metadata, so that <see cref="LoadFromParquet(DataOperationsCatalog, string, IEnumerable{string}?)"/>
    /// gives the student the same column back. Hidden columns are left out; other types are refused, naming the column.
    /// </summary>
    /// <param name="catalog">The data catalog (<c>mlContext.Data</c>).</param>
    /// <param name="data">The rows to write (e.g. features and a teacher's soft labels).</param>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="rowsPerGroup">Rows per Parquet row group; default null: about 64 MiB of values per group, at least 1,024 rows.</param>
    /// <returns>The rows written.</returns>
    public static long SaveAsParquet(this DataOperationsCatalog catalog, IDataView data, string path, int? rowsPerGroup = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (rowsPerGroup is < 1) throw new ArgumentOutOfRangeException(nameof(rowsPerGroup), rowsPerGroup, "rowsPerGroup must be at least 1 (or null for about 64 MiB of values per row group).");
        return ParquetSaver.Save(data, Path.GetFullPath(path), rowsPerGroup);
    }
}
