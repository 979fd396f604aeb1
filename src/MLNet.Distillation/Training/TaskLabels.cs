using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Training;

/// <summary>
/// Reads the label column of a binary, regression or ranking student, row by row: the 0/1 class, the k real targets or
/// the relevance grade into a span, and whether the row has a label. Multiclass labels are keys (<see cref="KeyLabelReader"/>).
/// </summary>
internal static class TaskLabels
{
    /// <summary>
    /// The number of target values per row the label column <paramref name="label"/> gives for <paramref name="task"/>
    /// (1, or k for a multi-output regression label), after checking its type with a message that says what to do.
    /// </summary>
    public static int Width(DistillationTask task, DataViewSchema.Column label)
    {
        switch (task)
        {
            case DistillationTask.BinaryClassification:
                if (label.Type == BooleanDataViewType.Instance || IsReal(label.Type)) return 1;
                throw new ArgumentException($"Label column '{label.Name}' has type {label.Type}; a binary student needs a Boolean label, or a Single one " +
                    $"holding 0 or 1 (NaN: no label). Convert it first, e.g. mlContext.Transforms.Expression(\"{label.Name}\", \"x => x == \\\"yes\\\"\", \"{label.Name}\") or Conversion.ConvertType.");
            case DistillationTask.Regression:
                if (IsReal(label.Type)) return 1;
                if (label.Type is VectorDataViewType { IsKnownSize: true } v && IsReal(v.ItemType)) return v.Size;
                throw new ArgumentException($"Label column '{label.Name}' has type {label.Type}; a regression student needs a Single (or Double) label, or a " +
                    "fixed-size vector of Single for several outputs (NaN: no label). Use mlContext.Transforms.Conversion.ConvertType or Concatenate.");
            case DistillationTask.Ranking:
                if (IsReal(label.Type) || label.Type is KeyDataViewType) return 1;
                throw new ArgumentException($"Label column '{label.Name}' has type {label.Type}; a ranking student needs a Single relevance grade (NaN: no label) " +
                    "or a key-typed grade (key 1 = grade 0). Use mlContext.Transforms.Conversion.ConvertType.");
            default:
                throw new ArgumentOutOfRangeException(nameof(task), task, "Multiclass labels are read by KeyLabelReader.");
        }
    }

    /// <summary>
    /// A reader of the current row's label: writes its target value(s) into the span (zeros when it has none) and returns
    /// the class (binary: 0 or 1), 0 (regression, ranking) or −1 for a row without a label.
    /// </summary>
    public static Func<Span<float>, int> Create(DistillationTask task, DataViewRowCursor cursor, DataViewSchema.Column label, Func<int> row)
    {
        if (label.Type == BooleanDataViewType.Instance)
        {
            var getter = cursor.GetGetter<bool>(label);
            bool b = false;
            return targets => { getter(ref b); targets[0] = b ? 1 : 0; return b ? 1 : 0; };
        }
        if (label.Type is KeyDataViewType)
        {
            var key = KeyLabelReader.Create(cursor, label);
            return targets =>
            {
                long k = key();
                targets[0] = k < 0 ? 0 : k;
                return k < 0 ? -1 : 0;
            };
        }
        if (label.Type is VectorDataViewType)
        {
            var getter = cursor.GetGetter<VBuffer<float>>(label);
            VBuffer<float> buffer = default;
            return targets =>
            {
                getter(ref buffer);
                targets.Clear();
                var values = buffer.GetValues();
                if (buffer.IsDense) values.CopyTo(targets);
                else
                {
                    var indices = buffer.GetIndices();
                    for (int i = 0; i < values.Length; i++) targets[indices[i]] = values[i];
                }
                foreach (var t in targets)
                    if (float.IsNaN(t)) { targets.Clear(); return -1; }
                CheckFinite(targets, label, row());
                return 0;
            };
        }
        var real = RealGetter(cursor, label);
        return targets =>
        {
            float v = real();
            if (float.IsNaN(v)) { targets[0] = 0; return -1; }
            targets[0] = v;
            CheckFinite(targets, label, row());
            if (task == DistillationTask.BinaryClassification)
            {
                if (v != 0 && v != 1)
                    throw new ArgumentException($"Row {row()} of label column '{label.Name}' holds {v}; a binary student's Single label must be 0, 1 or NaN (no label). " +
                        "Map your labels to 0/1 first, or use a Boolean label column.");
                return (int)v;
            }
            return 0;
        };
    }

    private static Func<float> RealGetter(DataViewRowCursor cursor, DataViewSchema.Column label)
    {
        if (label.Type == NumberDataViewType.Double)
        {
            var g = cursor.GetGetter<double>(label);
            double d = 0;
            return () => { g(ref d); return (float)d; };
        }
        var f = cursor.GetGetter<float>(label);
        float x = 0;
        return () => { f(ref x); return x; };
    }

    private static void CheckFinite(ReadOnlySpan<float> targets, DataViewSchema.Column label, int row)
    {
        foreach (var t in targets)
            if (float.IsInfinity(t))
                throw new ArgumentException($"Row {row} of label column '{label.Name}' holds {t}; labels must be finite (NaN marks a row without a label).");
    }

    private static bool IsReal(DataViewType t) => t == NumberDataViewType.Single || t == NumberDataViewType.Double;
}
