using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Reporting;

/// <summary>
/// Reads a label column as zero-based class indices in the student's class order: key k → k−1; text or numbers → the
/// position of their invariant text among the class names. Missing, empty and unknown labels give −1.
/// </summary>
internal static class LabelIndexReader
{
    /// <summary>A getter for the current row of <paramref name="cursor"/>; null when <paramref name="column"/> is null.</summary>
    public static Func<int> Create(DataViewRowCursor cursor, DataViewSchema.Column? column, IReadOnlyList<string> classNames)
    {
        if (column is not { } col) return () => -1;
        int k = classNames.Count;
        var index = classNames.Select((n, i) => (n, i)).GroupBy(p => p.n).ToDictionary(g => g.Key, g => g.First().i);
        int Lookup(string s) => index.TryGetValue(s, out var i) ? i : -1;
        var type = col.Type;
        if (type is KeyDataViewType)
        {
            if (type.RawType == typeof(uint)) { var g = cursor.GetGetter<uint>(col); uint v = 0; return () => { g(ref v); return v >= 1 && v <= k ? (int)v - 1 : -1; }; }
            if (type.RawType == typeof(ulong)) { var g = cursor.GetGetter<ulong>(col); ulong v = 0; return () => { g(ref v); return v >= 1 && v <= (ulong)k ? (int)v - 1 : -1; }; }
            if (type.RawType == typeof(ushort)) { var g = cursor.GetGetter<ushort>(col); ushort v = 0; return () => { g(ref v); return v >= 1 && v <= k ? v - 1 : -1; }; }
            if (type.RawType == typeof(byte)) { var g = cursor.GetGetter<byte>(col); byte v = 0; return () => { g(ref v); return v >= 1 && v <= k ? v - 1 : -1; }; }
        }
        if (type is TextDataViewType) { var g = cursor.GetGetter<ReadOnlyMemory<char>>(col); ReadOnlyMemory<char> v = default; return () => { g(ref v); return Lookup(v.ToString()); }; }
        if (type.RawType == typeof(float)) { var g = cursor.GetGetter<float>(col); float v = 0; return () => { g(ref v); return float.IsNaN(v) ? -1 : Lookup(v.ToString(CultureInfo.InvariantCulture)); }; }
        if (type.RawType == typeof(double)) { var g = cursor.GetGetter<double>(col); double v = 0; return () => { g(ref v); return double.IsNaN(v) ? -1 : Lookup(v.ToString(CultureInfo.InvariantCulture)); }; }
        if (type.RawType == typeof(int)) { var g = cursor.GetGetter<int>(col); int v = 0; return () => { g(ref v); return Lookup(v.ToString(CultureInfo.InvariantCulture)); }; }
        if (type.RawType == typeof(long)) { var g = cursor.GetGetter<long>(col); long v = 0; return () => { g(ref v); return Lookup(v.ToString(CultureInfo.InvariantCulture)); }; }
        if (type.RawType == typeof(uint)) { var g = cursor.GetGetter<uint>(col); uint v = 0; return () => { g(ref v); return Lookup(v.ToString(CultureInfo.InvariantCulture)); }; }
        if (type.RawType == typeof(bool)) { var g = cursor.GetGetter<bool>(col); bool v = false; return () => { g(ref v); return Lookup(v.ToString(CultureInfo.InvariantCulture)); }; }
        throw new ArgumentException($"Label column '{col.Name}' has type {type}; use a key column (mlContext.Transforms.Conversion.MapValueToKey), text or numbers matching the student's class names.");
    }
}
