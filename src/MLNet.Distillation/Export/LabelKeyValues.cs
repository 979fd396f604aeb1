using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Export;

/// <summary>
/// The key values of the label column (class names, or the original numeric labels), in key order, so that the
/// student's <c>PredictedLabel</c> gets the same key type and <c>MapKeyToValue</c> maps it back to the original classes.
/// </summary>
internal abstract class LabelKeyValues
{
    /// <summary>Number of classes K.</summary>
    public abstract int Count { get; }

    /// <summary>Display names of the classes in key order.</summary>
    public abstract IReadOnlyList<string> Names { get; }

    /// <summary>Transformers mapping the 1-based class id column to a key column with these key values.</summary>
    public abstract IEnumerable<ITransformer> KeyTransformers(MLContext ml, IDataView data, string classIdColumn, string valueColumn, string outputColumn);

    /// <summary>Reads the key values annotation of a key-typed label column; plain 1..K when it has none.</summary>
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
        return new Typed<uint>(Enumerable.Range(1, count).Select(i => (uint)i).ToArray(), identity: true);
    }

    /// <summary>Key values given directly (e.g. class names for a label-free student).</summary>
    public static LabelKeyValues FromNames(IReadOnlyList<string> names) => new Typed<string>(names.ToArray());

    private static LabelKeyValues Read<T>(DataViewSchema.Column col)
    {
        VBuffer<T> values = default;
        col.GetKeyValues(ref values);
        return new Typed<T>(values.DenseValues().ToArray());
    }

    private sealed class KeyRow<T>
    {
        public T Value = default!;
    }

    private sealed class Typed<T>(T[] values, bool identity = false) : LabelKeyValues
    {
        public override int Count => values.Length;

        public override IReadOnlyList<string> Names => values.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToArray();

        public override IEnumerable<ITransformer> KeyTransformers(MLContext ml, IDataView data, string classIdColumn, string valueColumn, string outputColumn)
        {
            if (identity)
            {
                // A key label without key values ([KeyType] columns): PredictedLabel is the class id key itself, as ML.NET's
                // own trainers give it (a key of the same count, no key values).
                yield return ml.Transforms.CopyColumns(outputColumn, classIdColumn).Fit(data);
                yield break;
            }
            var keyData = ml.Data.LoadFromEnumerable(values.Select(v => new KeyRow<T> { Value = v }));
            var pairs = values.Select((v, i) => new KeyValuePair<uint, T>((uint)(i + 1), v));
            var map = ml.Transforms.Conversion.MapValue(valueColumn, pairs, classIdColumn).Fit(data);
            yield return map;
            yield return ml.Transforms.Conversion.MapValueToKey(outputColumn, valueColumn, keyData: keyData).Fit(map.Transform(data));
        }
    }
}
