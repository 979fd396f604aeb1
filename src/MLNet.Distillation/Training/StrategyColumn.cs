using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Training;

/// <summary>
/// Reads a data strategy's own column (a domain, an out-of-domain flag, a reference model's outputs) from the rows a fit
/// trains on, in row order, asking the cursor for that column only — so an upstream <c>Distill</c> teacher does not run.
/// </summary>
internal static class StrategyColumn
{
    /// <summary>
    /// Each row's domain as an index into the returned names: one domain per distinct value of a text, key, Boolean or
    /// numeric column (names in order of first appearance). <paramref name="names"/>: the names known so far (the
    /// training rows' domains), to which new values are appended.
    /// </summary>
    public static int[] Domains(IDataView data, string column, string what, List<string> names)
    {
        var c = Find(data, column, what);
        var result = new List<int>();
        var index = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i);
        using var cursor = data.GetRowCursor([c]);
        Func<string?> read = c.Type switch
        {
            TextDataViewType => Getter<ReadOnlyMemory<char>>(cursor, c, v => v.ToString()),
            BooleanDataViewType => Getter<bool>(cursor, c, v => v ? "true" : "false"),
            KeyDataViewType => KeyGetter(cursor, c),
            NumberDataViewType n when n.RawType == typeof(float) => Getter<float>(cursor, c, v => float.IsNaN(v) ? null : v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
            NumberDataViewType n when n.RawType == typeof(double) => Getter<double>(cursor, c, v => double.IsNaN(v) ? null : v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
            NumberDataViewType n when n.RawType == typeof(int) => Getter<int>(cursor, c, v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            NumberDataViewType n when n.RawType == typeof(long) => Getter<long>(cursor, c, v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            _ => throw new ArgumentException($"{what} column '{column}' has type {c.Type}; it must be a scalar text, key, Boolean or number column (each distinct value is a domain)."),
        };
        while (cursor.MoveNext())
        {
            var name = read();
            if (name is null) throw new ArgumentException($"Row {result.Count} of {what} column '{column}' is missing (NaN or a missing key); give every row a domain.");
            if (!index.TryGetValue(name, out int i))
            {
                index[name] = i = names.Count;
                names.Add(name);
            }
            result.Add(i);
        }
        return result.ToArray();
    }

    /// <summary>Each row's Boolean flag.</summary>
    public static bool[] Flags(IDataView data, string column, string what)
    {
        var c = Find(data, column, what);
        if (c.Type is not BooleanDataViewType)
            throw new ArgumentException($"{what} column '{column}' has type {c.Type}; it must be Boolean (true on out-of-domain rows). Build it with mlContext.Transforms.Expression or CustomMapping.");
        var result = new List<bool>();
        using var cursor = data.GetRowCursor([c]);
        var getter = cursor.GetGetter<bool>(c);
        bool v = false;
        while (cursor.MoveNext())
        {
            getter(ref v);
            result.Add(v);
        }
        return result.ToArray();
    }

    /// <summary>Each row's float vector of <paramref name="width"/> values, row-major [rows, width], checked finite.</summary>
    public static float[] Vectors(IDataView data, string column, string what, int width)
    {
        var c = Find(data, column, what);
        if (c.Type is not VectorDataViewType { IsKnownSize: true } v || v.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"{what} column '{column}' has type {c.Type}; it must be a fixed-size float vector with one value per class ({width}).");
        if (v.Size != width)
            throw new ArgumentException($"{what} column '{column}' has {v.Size} values per row, but the student has {width} classes; it must hold one value per class, in the label's key order.");
        var result = new List<float>();
        using var cursor = data.GetRowCursor([c]);
        var getter = cursor.GetGetter<VBuffer<float>>(c);
        VBuffer<float> buffer = default;
        var dense = new float[width];
        int row = 0;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            buffer.CopyTo(dense);
            for (int j = 0; j < width; j++)
                if (!float.IsFinite(dense[j]))
                    throw new ArgumentException($"Row {row} of {what} column '{column}' holds {dense[j]} at slot {j}; it must be finite.");
            result.AddRange(dense);
            row++;
        }
        return result.ToArray();
    }

    /// <summary>Checks the column's row count against the rows the student read.</summary>
    public static void CheckRows(int read, int expected, string column, string what)
    {
        if (read != expected)
            throw new InvalidOperationException($"{what} column '{column}' gave {read} rows but the student read {expected}; the data view must give the same rows on every pass.");
    }

    private static DataViewSchema.Column Find(IDataView data, string column, string what)
        => data.Schema.GetColumnOrNull(column)
           ?? throw new ArgumentException($"{what} column '{column}' was not found. Columns: {string.Join(", ", data.Schema.Where(c => !c.IsHidden).Select(c => c.Name))}.");

    private static Func<string?> Getter<T>(DataViewRowCursor cursor, DataViewSchema.Column c, Func<T, string?> format)
    {
        var getter = cursor.GetGetter<T>(c);
        T value = default!;
        return () => { getter(ref value); return format(value); };
    }

    private static Func<string?> KeyGetter(DataViewRowCursor cursor, DataViewSchema.Column c)
    {
        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        bool named = c.HasKeyValues();
        if (named) c.GetKeyValues(ref keyValues);
        var names = named ? keyValues.DenseValues().Select(v => v.ToString()).ToArray() : [];
        var read = KeyLabelReader.Create(cursor, c);
        return () =>
        {
            long k = read();
            if (k < 0) return null;
            return k < names.Length ? names[k] : k.ToString(System.Globalization.CultureInfo.InvariantCulture);
        };
    }
}
