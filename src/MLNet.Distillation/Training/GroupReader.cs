using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Training;

/// <summary>
/// Reads a ranking student's group column (the query each row belongs to) and numbers its distinct values 0, 1, … in
/// order of first appearance; the rows of a group need not be contiguous.
/// </summary>
internal sealed class GroupReader
{
    private readonly Dictionary<ulong, int> _groups = new();
    private readonly Func<ulong> _value;
    private readonly DataViewSchema.Column _column;

    private GroupReader(Func<ulong> value, DataViewSchema.Column column)
    {
        _value = value;
        _column = column;
    }

    /// <summary>Checks the column's type and opens a reader on <paramref name="cursor"/>.</summary>
    public static GroupReader Create(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        Check(column);
        var raw = column.Type.RawType;
        Func<ulong> value = raw == typeof(uint) ? Widen<uint>(cursor, column, v => v)
            : raw == typeof(ulong) ? Widen<ulong>(cursor, column, v => v)
            : raw == typeof(ushort) ? Widen<ushort>(cursor, column, v => v)
            : raw == typeof(byte) ? Widen<byte>(cursor, column, v => v)
            : raw == typeof(int) ? Widen<int>(cursor, column, v => unchecked((ulong)v))
            : raw == typeof(long) ? Widen<long>(cursor, column, v => unchecked((ulong)v))
            : throw new InvalidOperationException("Unreachable: the type was checked.");
        return new GroupReader(value, column);
    }

    /// <summary>Throws a clear message unless <paramref name="column"/> is a key or integer column.</summary>
    public static void Check(DataViewSchema.Column column)
    {
        var raw = column.Type.RawType;
        if (column.Type is VectorDataViewType || !(raw == typeof(uint) || raw == typeof(ulong) || raw == typeof(ushort) || raw == typeof(byte) || raw == typeof(int) || raw == typeof(long)))
            throw new ArgumentException($"Group column '{column.Name}' has type {column.Type}; a ranking student needs a key or integer group id per row " +
                $"(the query). Build one with mlContext.Transforms.Conversion.MapValueToKey(\"{column.Name}\") or Conversion.Hash.");
    }

    /// <summary>The group number of the cursor's current row.</summary>
    public int Next(int row)
    {
        ulong v = _value();
        if (v == 0 && _column.Type is KeyDataViewType)
            throw new ArgumentException($"Row {row} of group column '{_column.Name}' holds the missing key; every row of a ranking student needs a group (query).");
        if (!_groups.TryGetValue(v, out int g)) _groups[v] = g = _groups.Count;
        return g;
    }

    /// <summary>Distinct groups read so far.</summary>
    public int Count => _groups.Count;

    private static Func<ulong> Widen<T>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, ulong> widen)
    {
        var getter = cursor.GetGetter<T>(column);
        T v = default!;
        return () => { getter(ref v); return widen(v); };
    }
}
