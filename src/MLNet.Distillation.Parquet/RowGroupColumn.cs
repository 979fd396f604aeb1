using Microsoft.ML;
using Microsoft.ML.Data;
using Parquet;
using Parquet.Schema;

namespace MLNet.Distillation.Parquet;

/// <summary>
/// The values of one column in the current row group, decoded once per row group into a dense buffer (reused from row
/// group to row group) that the column's getter reads by row. Nulls: NaN in float and double columns and vectors, an
/// empty string in text columns, an error naming the row in int, long and bool columns (ML.NET has no missing value for
/// them). A vector row whose list has another length, or no list, is an error naming the row.
/// </summary>
internal abstract class RowGroupColumn(ParquetColumn column)
{
    protected int[] Definitions = [];
    protected int[] Repetitions = [];

    public ParquetColumn Column => column;

    /// <summary>Reads this column of <paramref name="group"/> (<paramref name="rows"/> rows). <paramref name="where"/> names the file and row group in errors.</summary>
    public abstract void Load(ParquetRowGroupReader group, int rows, string where, long firstRow);

    /// <summary>A getter of the value at the row <paramref name="row"/> returns.</summary>
    public abstract Delegate Getter(Func<int> row);

    public static RowGroupColumn Create(ParquetColumn column) => column.Kind switch
    {
        ParquetColumnKind.Single => new Scalar<float>(column, float.NaN),
        ParquetColumnKind.Double => new Scalar<double>(column, double.NaN),
        ParquetColumnKind.Int32 => new Scalar<int>(column, null),
        ParquetColumnKind.Int64 => new Scalar<long>(column, null),
        ParquetColumnKind.Boolean => new Scalar<bool>(column, null),
        ParquetColumnKind.Text => new Text(column),
        ParquetColumnKind.SingleVector => new Vector<float>(column, float.NaN),
        ParquetColumnKind.DoubleVector => new Vector<double>(column, double.NaN),
        _ => throw new InvalidOperationException(column.Kind.ToString()),
    };

    protected static T[] Grow<T>(ref T[] buffer, long length)
    {
        if (length > Array.MaxLength) throw new InvalidDataException($"a row group of {length} values is too large to read at once");
        if (buffer.Length < length) buffer = new T[length];
        return buffer;
    }

    /// <summary>Reads the column chunk's raw values (non-null only) and levels; returns how many entries (values and nulls) it holds.</summary>
    protected int ReadRaw<T>(ParquetRowGroupReader group, ref T[] values, string where) where T : struct
    {
        var leaf = column.Leaf;
        long entries = group.GetMetadata(leaf)?.MetaData?.NumValues ?? throw new InvalidDataException($"{where} has no metadata for column '{column.Name}'");
        Grow(ref values, entries);
        // Parquet.Net asks for both level buffers whatever the column's levels.
        var definitions = Grow(ref Definitions, entries).AsMemory(0, (int)entries);
        var repetitions = Grow(ref Repetitions, entries).AsMemory(0, (int)entries);
        group.ReadRawAsync<T>(leaf, values.AsMemory(0, (int)entries), definitions, repetitions, default).GetAwaiter().GetResult();
        return (int)entries;
    }

    private sealed class Scalar<T>(ParquetColumn column, T? missing) : RowGroupColumn(column) where T : struct
    {
        private T[] _raw = [];
        private T[] _values = [];

        public override void Load(ParquetRowGroupReader group, int rows, string where, long firstRow)
        {
            int entries = ReadRaw(group, ref _raw, where);
            if (entries != rows) throw new InvalidDataException($"{where} column '{Column.Name}' has {entries} values for {rows} rows");
            int max = Column.Leaf.MaxDefinitionLevel;
            if (max == 0 || !Definitions.AsSpan(0, rows).ContainsAnyExcept(max))
            {
                _values = _raw;
                return;
            }
            // Nulls: the raw values are packed, one per defined entry.
            Grow(ref _values, rows);
            if (ReferenceEquals(_values, _raw)) _values = new T[_raw.Length];
            for (int r = rows - 1, v = Definitions.AsSpan(0, rows).Count(max) - 1; r >= 0; r--)
            {
                if (Definitions[r] == max) _values[r] = _raw[v--];
                else _values[r] = missing ?? throw new InvalidDataException(
                    $"{where} column '{Column.Name}' is null at row {firstRow + r}; ML.NET has no missing value for {typeof(T).Name}. Fill the nulls where the file is written, or store the column as double.");
            }
        }

        public override Delegate Getter(Func<int> row) => (ValueGetter<T>)((ref T value) => value = _values[row()]);
    }

    private sealed class Text(ParquetColumn column) : RowGroupColumn(column)
    {
        private string?[] _values = [];

        public override void Load(ParquetRowGroupReader group, int rows, string where, long firstRow)
        {
            Grow(ref _values, rows);
            group.ReadAsync(Column.Leaf, _values.AsMemory(0, rows), null, default).GetAwaiter().GetResult();
        }

        public override Delegate Getter(Func<int> row) => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) => value = (_values[row()] ?? "").AsMemory());
    }

    private sealed class Vector<T>(ParquetColumn column, T missing) : RowGroupColumn(column) where T : struct
    {
        private T[] _raw = [];
        private T[] _values = [];

        public override void Load(ParquetRowGroupReader group, int rows, string where, long firstRow)
        {
            int size = Column.VectorSize;
            int entries = ReadRaw(group, ref _raw, where);
            int max = Column.Leaf.MaxDefinitionLevel;
            var reps = Repetitions.AsSpan(0, entries);
            bool dense = entries == (long)rows * size && !Definitions.AsSpan(0, entries).ContainsAnyExcept(max);
            if (dense)
            {
                // Every entry is a value: each row must start exactly every `size` entries.
                for (int i = 0; i < entries; i += size)
                    if (reps[i] != 0 || (size > 1 && reps.Slice(i + 1, size - 1).ContainsAnyExcept(1)))
                        throw WrongLength(where, firstRow, reps);
                _values = _raw;
                return;
            }
            Grow(ref _values, (long)rows * size);
            if (ReferenceEquals(_values, _raw)) _values = new T[_raw.Length];
            // A null element sits one level below a value; a null or empty list lower still.
            int nullElement = Column.Leaf.IsNullable ? max - 1 : -1;
            int row = -1, inRow = 0, v = 0;
            for (int i = 0; i < entries; i++)
            {
                if (reps[i] == 0)
                {
                    if (row >= 0 && inRow != size) throw Length(where, firstRow + row, inRow, size);
                    row++;
                    inRow = 0;
                }
                int d = Definitions[i];
                if (d != max && d != nullElement) throw new InvalidDataException(
                    $"{where} column '{Column.Name}' has no list at row {firstRow + row} (a null or empty list); every row needs {size} values");
                if (inRow >= size) throw Length(where, firstRow + row, inRow + 1, size);
                _values[(long)row * size + inRow++] = d == max ? _raw[v++] : missing;
            }
            if (row + 1 != rows || inRow != size) throw Length(where, firstRow + Math.Max(row, 0), inRow, size);
        }

        /// <summary>The error for the first row whose list does not hold the column's size (found by its repetition levels).</summary>
        private InvalidDataException WrongLength(string where, long firstRow, ReadOnlySpan<int> reps)
        {
            int row = -1, length = 0;
            foreach (var level in reps)
            {
                if (level == 0)
                {
                    if (row >= 0 && length != Column.VectorSize) break;
                    row++;
                    length = 0;
                }
                length++;
            }
            return Length(where, firstRow + row, length, Column.VectorSize);
        }

        private InvalidDataException Length(string where, long row, int length, int size)
            => new($"{where} column '{Column.Name}': row {row} has a list of {length} values, but the column's vectors have {size}; ML.NET vectors have one size");

        public override Delegate Getter(Func<int> row)
        {
            int size = Column.VectorSize;
            return (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) =>
            {
                var editor = VBufferEditor.Create(ref value, size);
                _values.AsSpan(row() * size, size).CopyTo(editor.Values);
                value = editor.Commit();
            });
        }
    }
}
