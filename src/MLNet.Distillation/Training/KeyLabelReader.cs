using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Training;

/// <summary>
/// Reads a key-typed label column of any key type (byte, ushort, uint or ulong keys, as <c>MapValueToKey</c> or a
/// <c>[KeyType]</c> attribute make them) as a 0-based class index per row, -1 where the key is missing (0).
/// </summary>
internal static class KeyLabelReader
{
    /// <summary>Checks that <paramref name="label"/> is a key column with a known count of at least two; returns the count.</summary>
    public static int ClassCount(DataViewSchema.Column label)
    {
        if (label.Type is not KeyDataViewType key)
            throw new ArgumentException(
                $"Label column '{label.Name}' has type {label.Type}; the student needs a key-typed label. Add " +
                $"mlContext.Transforms.Conversion.MapValueToKey(\"{label.Name}\") before the trainer (string, integer and boolean labels alike; " +
                "the student aligns the key order with the teacher's classes).");
        if (key.Count == 0)
            throw new ArgumentException($"Label column '{label.Name}' is a key type of unknown count; give it a count (e.g. [KeyType({{number of classes}})]) or build it with MapValueToKey.");
        if (key.Count > int.MaxValue)
            throw new ArgumentException($"Label column '{label.Name}' has {key.Count} key values; the student supports at most {int.MaxValue} classes.");
        return (int)key.Count;
    }

    /// <summary>A getter of the 0-based class index (-1 = missing) of the cursor's current row.</summary>
    public static Func<long> Create(DataViewRowCursor cursor, DataViewSchema.Column label)
    {
        var raw = label.Type.RawType;
        if (raw == typeof(uint)) return Make<uint>(cursor, label, k => k);
        if (raw == typeof(byte)) return Make<byte>(cursor, label, k => k);
        if (raw == typeof(ushort)) return Make<ushort>(cursor, label, k => k);
        if (raw == typeof(ulong)) return Make<ulong>(cursor, label, k => k);
        throw new ArgumentException($"Label column '{label.Name}' has key type {label.Type} with raw type {raw.Name}; key columns hold byte, ushort, uint or ulong.");
    }

    private static Func<long> Make<T>(DataViewRowCursor cursor, DataViewSchema.Column label, Func<T, ulong> widen)
    {
        var getter = cursor.GetGetter<T>(label);
        T key = default!;
        return () =>
        {
            getter(ref key);
            ulong k = widen(key);
            return k == 0 ? -1 : (long)(k - 1);
        };
    }
}
