using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Teachers;

namespace MLNet.Distillation.Training;

/// <summary>
/// Decides, per teacher column, which teacher output belongs to each label key (see <see cref="ClassAlignment"/>), before
/// any training step: by names, by integer values, or by the evidence of the labelled rows (the confusion between labels
/// and the teacher's top class, solved as a one-to-one assignment). The training data's decision is remembered and reused
/// for validation data, so both are read in the same order.
/// </summary>
internal sealed class ClassAligner
{
    /// <summary>Labelled rows a class needs before its evidence counts.</summary>
    public const int MinRowsPerClass = 3;

    /// <summary>Share of all labelled rows that the best mapping must add over the key order before undecided evidence is called a mismatch.</summary>
    public const double InconclusiveGain = 0.01;

    private readonly ClassAlignment _mode;
    private readonly Action<string> _info;
    private readonly Action<string> _warn;
    private readonly Dictionary<string, int[]?> _orders = new();
    private bool _frozen;

    public ClassAligner(ClassAlignment mode, Action<string> info, Action<string> warn)
    {
        _mode = mode;
        _info = info;
        _warn = warn;
    }

    /// <summary>The teacher output of each label class for <paramref name="teacherColumn"/> (null: the same order), as decided so far.</summary>
    public int[]? OrderOf(string teacherColumn) => _orders.GetValueOrDefault(teacherColumn);

    /// <summary>Stops deciding: later data (validation) is read in the orders decided on the training data.</summary>
    public void Freeze() => _frozen = true;

    /// <summary>
    /// Decides (or recalls) the order for one teacher column and rewrites <paramref name="teacher"/> [rows, k] in place so
    /// that slot i holds the teacher's output for label class i.
    /// </summary>
    public void Align(DataViewSchema.Column teacherColumn, DataViewSchema.Column? label, RowStore<int> labels, RowStore<float> teacher, int k)
    {
        int[]? order;
        if (_frozen || _orders.ContainsKey(teacherColumn.Name)) order = _orders.GetValueOrDefault(teacherColumn.Name);
        else
        {
            order = _mode == ClassAlignment.Off ? null : Decide(teacherColumn, label, labels, teacher, k);
            _orders[teacherColumn.Name] = order;
        }
        if (order is not null)
            foreach (var chunk in teacher.Chunks()) Permute(chunk.Span, order, k);
    }

    /// <summary>Rewrites rows of <paramref name="values"/> [rows, k] so that slot i holds old slot <c>order[i]</c>.</summary>
    public static void Permute(Span<float> values, int[] order, int k)
    {
        var row = new float[k];
        for (int start = 0; start < values.Length; start += k)
        {
            values.Slice(start, k).CopyTo(row);
            for (int i = 0; i < k; i++) values[start + i] = row[order[i]];
        }
    }

    private int[]? Decide(DataViewSchema.Column teacherColumn, DataViewSchema.Column? label, RowStore<int> labels, RowStore<float> teacher, int k)
    {
        string labelName = label?.Name ?? "Label";
        var keyNames = label is { } l ? KeyValueNames(l, k) : null;
        var teacherNames = TeacherClassNames.Read(teacherColumn);
        var evidence = Evidence.Count(labels, teacher, k);

        if (keyNames is not null && teacherNames is not null)
        {
            var byName = ByName(keyNames, teacherNames, labelName, teacherColumn.Name);
            return Accept(byName, $"by class name (teacher column '{teacherColumn.Name}' names its outputs)", keyNames, teacherNames, labelName, teacherColumn.Name, evidence);
        }
        if (keyNames is not null && teacherNames is null && IntegerOrder(keyNames) is { } byValue)
        {
            var decided = evidence.Decisive(k);
            if (decided is not null && !decided.SequenceEqual(byValue))
                return Accept(decided, "by the evidence of the labelled rows (it overrules the integer label values)", keyNames, null, labelName, teacherColumn.Name, evidence);
            return Accept(byValue, "by value (integer labels 0…K−1 are teacher outputs 0…K−1)", keyNames, null, labelName, teacherColumn.Name, evidence);
        }
        if (evidence.Labelled == 0)
        {
            _info($"Class order: no labelled rows to check teacher column '{teacherColumn.Name}' against label '{labelName}'; label key i is taken as teacher output i.");
            return null;
        }
        var decisive = evidence.Decisive(k);
        if (decisive is not null)
            return Accept(decisive, "by the evidence of the labelled rows", keyNames, teacherNames, labelName, teacherColumn.Name, evidence);

        var best = Assignment.Maximise(evidence.Counts, k);
        long bestHits = evidence.Hits(best), keyHits = evidence.Hits(null);
        // A different order is suspected only when it fits clearly better and every class it moves has more rows on its
        // new output than on its own: a teacher that merely errs on some classes (top class wrong, own output unused)
        // is not reordered, it is a weak teacher.
        bool everyMoveSupported = best.Select((j, i) => j == i || evidence.Counts[i][j] > evidence.Counts[i][i]).All(x => x);
        if (!everyMoveSupported || bestHits <= keyHits || bestHits - keyHits < InconclusiveGain * evidence.Labelled)
        {
            _info($"Class order: the teacher's top class matches label '{labelName}' on {keyHits * 100.0 / evidence.Labelled:F1} % of {evidence.Labelled} labelled rows in key order; no other order fits clearly better, so label key i is taken as teacher output i.");
            return null;
        }
        throw new ArgumentException(
            $"Label column '{labelName}' and teacher column '{teacherColumn.Name}' seem to order the classes differently, but the labelled rows do not decide how: " +
            $"in key order the teacher's top class matches the label on {keyHits * 100.0 / evidence.Labelled:F1} % of {evidence.Labelled} labelled rows, the best one-to-one mapping on {bestHits * 100.0 / evidence.Labelled:F1} %:\n" +
            Describe(best, keyNames, teacherNames, evidence) + Fix(labelName));
    }

    private int[]? Accept(int[] order, string how, string[]? keyNames, string[]? teacherNames, string labelName, string teacherName, Evidence evidence)
    {
        bool identity = order.Select((o, i) => o == i).All(x => x);
        string agreement = evidence.Labelled == 0 ? "" :
            $" The teacher's top class matches the label on {evidence.Hits(identity ? null : order) * 100.0 / evidence.Labelled:F1} % of {evidence.Labelled} labelled rows" +
            (identity ? "." : $" after alignment ({evidence.Hits(null) * 100.0 / evidence.Labelled:F1} % in key order).");
        if (identity)
        {
            _info($"Class order: label '{labelName}' keys match teacher column '{teacherName}' outputs {how}.{agreement}");
            return null;
        }
        string mapping = Describe(order, keyNames, teacherNames, evidence);
        if (_mode == ClassAlignment.Refuse)
            throw new ArgumentException(
                $"Label column '{labelName}' orders its keys differently from teacher column '{teacherName}' ({how}), and StudentOptions.ClassAlignment is Refuse:\n" +
                mapping + Fix(labelName));
        _warn($"Class order: label '{labelName}' keys are not in the order of teacher column '{teacherName}'; aligned {how}. The student learns label key i from the teacher output shown:\n" +
              mapping + $"{agreement} Set StudentOptions.ClassAlignment = ClassAlignment.Refuse to stop instead, or Off to skip this check.");
        return order;
    }

    private static string Fix(string labelName)
        => $"Fix: give the label's keys in the teacher's output order — mlContext.Transforms.Conversion.MapValueToKey(\"{labelName}\", keyData: <the teacher's classes in output order>) — " +
           "or name the teacher's outputs with DistillOptions.ClassNames so the student aligns by name; StudentOptions.ClassAlignment = ClassAlignment.Off trusts the key order as it is.";

    private static string Describe(int[] order, string[]? keyNames, string[]? teacherNames, Evidence evidence)
    {
        var sb = new StringBuilder();
        int shown = 0, moved = 0;
        for (int i = 0; i < order.Length; i++)
        {
            if (order[i] == i) continue;
            moved++;
            if (shown == 20) continue;
            shown++;
            string key = keyNames is null ? $"key {i + 1}" : $"'{keyNames[i]}' (key {i + 1})";
            string output = teacherNames is null ? $"teacher output {order[i]}" : $"teacher output {order[i]} '{teacherNames[order[i]]}'";
            long n = evidence.RowsOf(i);
            string support = n == 0 ? "" : $" — top class on {evidence.Counts[i][order[i]]} of its {n} labelled rows";
            sb.Append("  label ").Append(key).Append(" → ").Append(output).Append(support).Append('\n');
        }
        if (moved > shown) sb.Append($"  … and {moved - shown} more classes moved\n");
        return sb.ToString();
    }

    private static int[] ByName(string[] keyNames, string[] teacherNames, string labelName, string teacherName)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int j = 0; j < teacherNames.Length; j++) index[teacherNames[j]] = j;
        var order = new int[keyNames.Length];
        var missing = new List<string>();
        for (int i = 0; i < keyNames.Length; i++)
        {
            if (index.TryGetValue(keyNames[i], out int j)) order[i] = j;
            else missing.Add(keyNames[i]);
        }
        if (missing.Count > 0 || order.Distinct().Count() != order.Length)
        {
            var unused = teacherNames.Except(keyNames, StringComparer.Ordinal).Take(10).ToArray();
            throw new ArgumentException(
                $"Label column '{labelName}' has key values that teacher column '{teacherName}' does not name: {string.Join(", ", missing.Take(10).Select(m => $"'{m}'"))}" +
                (unused.Length > 0 ? $"; the teacher names {string.Join(", ", unused.Select(u => $"'{u}'"))} instead" : "") +
                ". Map the labels to the teacher's class names, correct DistillOptions.ClassNames, or set StudentOptions.ClassAlignment = ClassAlignment.Off to ignore the names.");
        }
        return order;
    }

    /// <summary>When the key values are the integers 0…K−1 in some order, teacher output j is class j.</summary>
    private static int[]? IntegerOrder(string[] keyNames)
    {
        var order = new int[keyNames.Length];
        for (int i = 0; i < keyNames.Length; i++)
            if (!int.TryParse(keyNames[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out order[i]) || order[i] < 0 || order[i] >= keyNames.Length)
                return null;
        return order.Distinct().Count() == order.Length ? order : null;
    }

    /// <summary>The label's key values as text (invariant culture), or null when the column has none.</summary>
    private static string[]? KeyValueNames(DataViewSchema.Column label, int k)
    {
        if (label.Annotations.Schema.GetColumnOrNull("KeyValues") is not { Type: VectorDataViewType vt } || vt.Size != k) return null;
        var raw = vt.ItemType.RawType;
        if (raw == typeof(ReadOnlyMemory<char>)) return Values<ReadOnlyMemory<char>>(label).Select(v => v.ToString()).ToArray();
        if (raw == typeof(float)) return Format(Values<float>(label));
        if (raw == typeof(double)) return Format(Values<double>(label));
        if (raw == typeof(int)) return Format(Values<int>(label));
        if (raw == typeof(uint)) return Format(Values<uint>(label));
        if (raw == typeof(long)) return Format(Values<long>(label));
        if (raw == typeof(ulong)) return Format(Values<ulong>(label));
        if (raw == typeof(short)) return Format(Values<short>(label));
        if (raw == typeof(ushort)) return Format(Values<ushort>(label));
        if (raw == typeof(byte)) return Format(Values<byte>(label));
        if (raw == typeof(sbyte)) return Format(Values<sbyte>(label));
        if (raw == typeof(bool)) return Format(Values<bool>(label));
        return null;
    }

    private static T[] Values<T>(DataViewSchema.Column column)
    {
        VBuffer<T> values = default;
        column.GetKeyValues(ref values);
        return values.DenseValues().ToArray();
    }

    private static string[] Format<T>(T[] values) => values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "").ToArray();

    /// <summary>Counts[i][j]: labelled rows of class i whose teacher top class is j.</summary>
    private sealed class Evidence
    {
        public required long[][] Counts { get; init; }
        public required long Labelled { get; init; }

        public static Evidence Count(RowStore<int> labels, RowStore<float> teacher, int k)
        {
            var counts = new long[k][];
            for (int i = 0; i < k; i++) counts[i] = new long[k];
            long labelled = 0;
            for (int r = 0; r < labels.Count; r++)
            {
                int y = labels[r][0];
                if (y < 0 || y >= k) continue;
                var row = teacher[r];
                int top = 0;
                for (int j = 1; j < k; j++) if (row[j] > row[top]) top = j;
                counts[y][top]++;
                labelled++;
            }
            return new Evidence { Counts = counts, Labelled = labelled };
        }

        public long RowsOf(int i) => Counts[i].Sum();

        public long Hits(int[]? order)
        {
            long hits = 0;
            for (int i = 0; i < Counts.Length; i++) hits += Counts[i][order is null ? i : order[i]];
            return hits;
        }

        /// <summary>
        /// A mapping that the rows decide: every class with at least <see cref="MinRowsPerClass"/> labelled rows has one
        /// teacher output as the top class on a strict majority of them, no two classes share it, and the classes with too
        /// few rows are left one way only (the outputs nobody took are theirs in key order, or one class takes the one left).
        /// </summary>
        public int[]? Decisive(int k)
        {
            if (Labelled == 0) return null;
            var order = new int[k];
            var taken = new bool[k];
            var undecided = new List<int>();
            for (int i = 0; i < k; i++)
            {
                long n = RowsOf(i);
                if (n < MinRowsPerClass) { undecided.Add(i); continue; }
                int best = 0;
                for (int j = 1; j < k; j++) if (Counts[i][j] > Counts[i][best]) best = j;
                if (Counts[i][best] * 2 <= n || taken[best]) return null;
                order[i] = best;
                taken[best] = true;
            }
            if (undecided.Count == k) return null;
            var free = Enumerable.Range(0, k).Where(j => !taken[j]).ToArray();
            if (undecided.SequenceEqual(free)) { foreach (var i in undecided) order[i] = i; return order; }
            if (undecided.Count == 1) { order[undecided[0]] = free[0]; return order; }
            return null;
        }
    }
}
