using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MLNet.Distillation.Training;

/// <summary>
/// One batch as tensors: features, labels (int64, -1 = missing), real-valued targets (binary, regression, ranking), group
/// numbers 0..G−1 within the batch (ranking), the teacher outputs and each separate teacher's.
/// </summary>
internal readonly record struct Batch(Tensor Features, Tensor Labels, Tensor? Targets, Tensor? GroupIds, Tensor? Teacher, Tensor[] SeparateTeachers,
    IReadOnlyDictionary<string, Tensor> Extras);

/// <summary>
/// The tensors a batch is assembled in, allocated once for <c>capacity</c> rows and refilled for every batch: the rows'
/// values are copied from the <see cref="TrainingSet"/> stores straight into the tensors' memory. No tensor ever holds
/// the whole data, and a step allocates no input tensor. A batch of fewer rows is served as a view of the first rows.
/// The tensors are overwritten by the next fill: use a batch before filling the next one.
/// </summary>
internal sealed class BatchTensors : IDisposable
{
    private readonly TrainingSet _set;
    private readonly Tensor _features;
    private readonly Tensor _labels;
    private readonly Tensor? _targets;
    private readonly Tensor? _groups;
    private readonly Tensor? _teacher;
    private readonly Tensor[] _separate;
    private readonly Dictionary<string, Tensor> _extras;
    private readonly long[] _labelBuffer;
    private readonly long[] _groupBuffer;

    public BatchTensors(TrainingSet set, int capacity)
    {
        _set = set;
        Capacity = capacity;
        _features = empty(capacity, set.FeatureCount);
        _labels = empty([capacity], ScalarType.Int64);
        _targets = set.HasTargets ? empty(capacity, set.ClassCount) : null;
        _groups = set.HasGroups ? empty([capacity], ScalarType.Int64) : null;
        _teacher = set.HasTeacher ? empty(capacity, set.ClassCount) : null;
        _separate = Enumerable.Range(0, set.SeparateTeacherCount).Select(_ => empty(capacity, set.ClassCount)).ToArray();
        _extras = set.ExtraWidths.ToDictionary(e => e.Key, e => empty(capacity, e.Value));
        _labelBuffer = new long[capacity];
        _groupBuffer = set.HasGroups ? new long[capacity] : [];
    }

    public int Capacity { get; }

    /// <summary>
    /// Fills the tensors with <paramref name="rows"/> of the set. Call inside a dispose scope when the batch is short: its
    /// views of the first rows are new tensor handles that the scope disposes.
    /// </summary>
    public Batch Fill(ReadOnlySpan<int> rows)
    {
        int count = rows.Length;
        if (count == 0 || count > Capacity) throw new ArgumentOutOfRangeException(nameof(rows), count, $"A batch holds 1 to {Capacity} rows.");
        _set.CopyFeatures(rows, Floats(_features));
        _set.CopyLabels(rows, _labelBuffer);
        _labelBuffer.AsSpan(0, count).CopyTo(MemoryMarshal.Cast<byte, long>(_labels.bytes));
        if (_targets is not null) _set.CopyTargets(rows, Floats(_targets));
        if (_groups is not null) NumberGroups(rows);
        if (_teacher is not null) _set.CopyTeacher(rows, Floats(_teacher));
        for (int i = 0; i < _separate.Length; i++) _set.CopySeparateTeacher(i, rows, Floats(_separate[i]));
        foreach (var (name, t) in _extras) _set.CopyExtra(name, rows, Floats(t));
        return count == Capacity
            ? new Batch(_features, _labels, _targets, _groups, _teacher, _separate, _extras)
            : new Batch(First(_features, count), First(_labels, count), Optional(_targets, count), Optional(_groups, count), Optional(_teacher, count),
                _separate.Select(t => First(t, count)).ToArray(), _extras.ToDictionary(e => e.Key, e => First(e.Value, count)));
    }

    /// <summary>Fills a batch with the consecutive rows <paramref name="start"/> … <paramref name="start"/> + <paramref name="count"/> − 1.</summary>
    public Batch FillRange(int start, int count)
    {
        var rows = new int[count];
        for (int i = 0; i < count; i++) rows[i] = start + i;
        return Fill(rows);
    }

    /// <summary>
    /// Numbers the batch's groups 0, 1, … in the order they appear; the rows of a group must be contiguous (the batch plan
    /// of a ranking fit makes them so), because the ranking losses compare the rows of each run of equal numbers.
    /// </summary>
    private void NumberGroups(ReadOnlySpan<int> rows)
    {
        int previous = -1;
        long current = -1;
        for (int i = 0; i < rows.Length; i++)
        {
            int g = _set.Group(rows[i]);
            if (g != previous) { current++; previous = g; }
            _groupBuffer[i] = current;
        }
        _groupBuffer.AsSpan(0, rows.Length).CopyTo(MemoryMarshal.Cast<byte, long>(_groups!.bytes));
    }

    private static Span<float> Floats(Tensor t) => MemoryMarshal.Cast<byte, float>(t.bytes);

    private static Tensor? Optional(Tensor? t, int count) => t is null ? null : First(t, count);

    private static Tensor First(Tensor t, int count) => t.narrow(0, 0, count);

    public void Dispose()
    {
        _features.Dispose();
        _labels.Dispose();
        _targets?.Dispose();
        _groups?.Dispose();
        _teacher?.Dispose();
        foreach (var t in _separate) t.Dispose();
        foreach (var t in _extras.Values) t.Dispose();
    }
}
