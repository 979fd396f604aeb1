using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MLNet.Distillation.Training;

/// <summary>One batch as tensors: features, labels (int64, -1 = missing), the teacher outputs and each separate teacher's.</summary>
internal readonly record struct Batch(Tensor Features, Tensor Labels, Tensor? Teacher, Tensor[] SeparateTeachers);

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
    private readonly Tensor? _teacher;
    private readonly Tensor[] _separate;
    private readonly long[] _labelBuffer;

    public BatchTensors(TrainingSet set, int capacity)
    {
        _set = set;
        Capacity = capacity;
        _features = empty(capacity, set.FeatureCount);
        _labels = empty([capacity], ScalarType.Int64);
        _teacher = set.HasTeacher ? empty(capacity, set.ClassCount) : null;
        _separate = Enumerable.Range(0, set.SeparateTeacherCount).Select(_ => empty(capacity, set.ClassCount)).ToArray();
        _labelBuffer = new long[capacity];
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
        if (_teacher is not null) _set.CopyTeacher(rows, Floats(_teacher));
        for (int i = 0; i < _separate.Length; i++) _set.CopySeparateTeacher(i, rows, Floats(_separate[i]));
        return count == Capacity
            ? new Batch(_features, _labels, _teacher, _separate)
            : new Batch(First(_features, count), First(_labels, count), _teacher is null ? null : First(_teacher, count), _separate.Select(t => First(t, count)).ToArray());
    }

    /// <summary>Fills a batch with the consecutive rows <paramref name="start"/> … <paramref name="start"/> + <paramref name="count"/> − 1.</summary>
    public Batch FillRange(int start, int count)
    {
        var rows = new int[count];
        for (int i = 0; i < count; i++) rows[i] = start + i;
        return Fill(rows);
    }

    private static Span<float> Floats(Tensor t) => MemoryMarshal.Cast<byte, float>(t.bytes);

    private static Tensor First(Tensor t, int count) => t.narrow(0, 0, count);

    public void Dispose()
    {
        _features.Dispose();
        _labels.Dispose();
        _teacher?.Dispose();
        foreach (var t in _separate) t.Dispose();
    }
}
