using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Export;

/// <summary>
/// The key values of the label column (class names, or the original numeric labels), in key order, so that the
/// student's <c>PredictedLabel</c> gets the same key type and <c>MapKeyToValue</c> maps it back to the original classes.
/// </summary>
internal abstract class LabelKeyValues
{
    private const string LookupCodeColumn = "Code";
    private const string LookupClassColumn = "Class";

    /// <summary>Number of classes K.</summary>
    public abstract int Count { get; }

    /// <summary>Display names of the classes in key order.</summary>
    public abstract IReadOnlyList<string> Names { get; }

    /// <summary>
    /// A stock <c>MapValue</c> that turns a scalar float column of class codes (<paramref name="codes"/>[c] for class c) into
    /// the key column <paramref name="outputColumn"/>: key c + 1, with these key values. Any other code (NaN for a row with
    /// no class) becomes the missing key 0, which is what ML.NET's value map gives a key-typed value it has no entry for.
    /// The map's value column carries the key values, and <c>MapValue</c> passes a value column's annotations on; its size
    /// and fitting time are linear in the number of classes.
    /// </summary>
    /// <param name="ml">The context that fits the transformer.</param>
    /// <param name="data">Data with the code column.</param>
    /// <param name="codeColumn">The float code column.</param>
    /// <param name="codes">The distinct code of each class, in key order.</param>
    /// <param name="outputColumn">The key column to write.</param>
    public ITransformer KeyTransformer(MLContext ml, IDataView data, string codeColumn, IReadOnlyList<float> codes, string outputColumn)
    {
        if (codes.Count != Count) throw new ArgumentException($"{codes.Count} class codes for {Count} classes.", nameof(codes));
        var lookup = Lookup(ml, codes);
        return ml.Transforms.Conversion.MapValue(outputColumn, lookup, lookup.Schema[LookupCodeColumn], lookup.Schema[LookupClassColumn], codeColumn).Fit(data);
    }

    /// <summary>K rows: column <c>Code</c> (float) and column <c>Class</c>, the key of class c (c + 1) with these key values.</summary>
    private protected abstract IDataView Lookup(MLContext ml, IReadOnlyList<float> codes);

    /// <summary>Reads the key values annotation of a key-typed label column; a plain key of <paramref name="count"/> values when it has none.</summary>
    public static LabelKeyValues FromColumn(DataViewSchema.Column? label, int count)
    {
        if (label is { } col && col.Annotations.Schema.GetColumnOrNull("KeyValues") is { Type: VectorDataViewType vt } && vt.Size == count)
        {
            var raw = vt.ItemType.RawType;
            if (raw == typeof(ReadOnlyMemory<char>))
            {
                VBuffer<ReadOnlyMemory<char>> values = default;
                col.GetKeyValues(ref values);
                return new Typed<string>(values.DenseValues().Select(v => v.ToString()).ToArray());
            }
            if (raw == typeof(float)) return Read<float>(col);
            if (raw == typeof(double)) return Read<double>(col);
            if (raw == typeof(int)) return Read<int>(col);
            if (raw == typeof(uint)) return Read<uint>(col);
            if (raw == typeof(long)) return Read<long>(col);
            if (raw == typeof(bool)) return Read<bool>(col);
        }
        return new PlainKey(count);
    }

    /// <summary>Key values given directly (e.g. class names for a label-free student).</summary>
    public static LabelKeyValues FromNames(IReadOnlyList<string> names) => new Typed<string>(names.ToArray());

    private static LabelKeyValues Read<T>(DataViewSchema.Column col)
    {
        VBuffer<T> values = default;
        col.GetKeyValues(ref values);
        return new Typed<T>(values.DenseValues().ToArray());
    }

    private sealed class LookupRow<T>
    {
        public float Code { get; set; }
        public T Value { get; set; } = default!;
    }

    private sealed class KeyRow<T>
    {
        public T Value { get; set; } = default!;
    }

    /// <summary>A label with key values: <c>PredictedLabel</c> gets the same key values, so MapKeyToValue gives the original classes.</summary>
    private sealed class Typed<T>(T[] values) : LabelKeyValues
    {
        public override int Count => values.Length;

        public override IReadOnlyList<string> Names => values.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToArray();

        private protected override IDataView Lookup(MLContext ml, IReadOnlyList<float> codes)
        {
            var rows = ml.Data.LoadFromEnumerable(values.Select((v, c) => new LookupRow<T> { Code = codes[c], Value = v }));
            var keyData = ml.Data.LoadFromEnumerable(values.Select(v => new KeyRow<T> { Value = v }));
            return ml.Transforms.Conversion.MapValueToKey(LookupClassColumn, nameof(LookupRow<T>.Value), keyData: keyData).Fit(rows).Transform(rows);
        }
    }

    /// <summary>
    /// A key label without key values (a <c>[KeyType]</c> column): <c>PredictedLabel</c> is a plain key of the same count, as
    /// ML.NET's own trainers give it.
    /// </summary>
    private sealed class PlainKey(int count) : LabelKeyValues
    {
        public override int Count => count;

        public override IReadOnlyList<string> Names => Enumerable.Range(1, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

        private protected override IDataView Lookup(MLContext ml, IReadOnlyList<float> codes)
        {
            var schema = SchemaDefinition.Create(typeof(LookupRow<uint>));
            schema[nameof(LookupRow<uint>.Value)].ColumnType = new KeyDataViewType(typeof(uint), count);
            schema[nameof(LookupRow<uint>.Value)].ColumnName = LookupClassColumn;
            // LoadFromEnumerable reads a key-typed field as a zero-based index: field value c is key c + 1.
            return ml.Data.LoadFromEnumerable(Enumerable.Range(0, count).Select(c => new LookupRow<uint> { Code = codes[c], Value = (uint)c }), schema);
        }
    }
}
