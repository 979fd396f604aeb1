using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// The cursor of <see cref="DistillDataView"/> when a teacher column is read: a <see cref="BatchPipeline"/> reads upstream
/// rows into batch slots and runs the teacher once per batch on background threads, while this cursor serves the rows of
/// the current scored slot — teacher outputs from the slot's output buffers, pass-through columns from the
/// <see cref="ColumnBuffer"/>s. Getters copy one row's values and allocate nothing once the caller's buffers have grown.
/// </summary>
internal sealed class BatchedTeacherCursor : DataViewRowCursor
{
    private readonly DataViewRowCursor _upstream;
    private readonly DataViewSchema _schema;
    private readonly HashSet<int> _active;
    private readonly OutputBinding[] _outputs;
    private readonly bool[] _activeOutputs;
    private readonly Dictionary<int, ColumnBuffer> _buffers = new();
    private readonly ColumnBuffer _ids;
    private readonly BatchPipeline _pipeline;
    private readonly int _inputCount;
    private readonly int _capacity;
    private readonly CancellationToken _cancel;
    private TeacherBatch? _current;
    private int _row = -1;   // row within the current slot
    private int _entry = -1; // _current.Index * _capacity + _row: the row's entry in the column buffers
    private long _position = -1;
    private bool _exhausted;

    public BatchedTeacherCursor(DataViewRowCursor upstream, DataViewSchema schema, DistillTransformer parent, InputBinding[] inputs,
        OutputBinding[] outputs, bool[] activeOutputs, int[] passThrough, HashSet<int> active)
    {
        _upstream = upstream;
        _schema = schema;
        _active = active;
        _outputs = outputs;
        _activeOutputs = activeOutputs;
        _inputCount = upstream.Schema.Count;
        _capacity = parent.BatchSize;
        _cancel = parent.CancellationToken;
        // Slots in flight: one per worker (being read or scored), one scored and waiting, one being served.
        int slotCount = parent.ConcurrentBatches + 2;
        var activeBindings = outputs.Where((_, j) => activeOutputs[j]).ToArray();
        foreach (var i in passThrough) _buffers[i] = ColumnBuffer.Create(upstream, upstream.Schema[i], slotCount * _capacity);
        _ids = new ScalarColumnBuffer<DataViewRowId>(upstream.GetIdGetter(), slotCount * _capacity);
        var slots = new TeacherBatch[slotCount];
        try
        {
            for (int s = 0; s < slotCount; s++)
                slots[s] = new TeacherBatch(s, new TeacherBatchRunner(parent.Model, inputs, activeBindings, _capacity, parent.RecordScored),
                    upstream, [.. _buffers.Values, _ids]);
        }
        catch
        {
            foreach (var s in slots) s?.Dispose();
            throw;
        }
        _pipeline = new BatchPipeline(upstream, slots, parent.ConcurrentBatches);
    }

    public override DataViewSchema Schema => _schema;
    public override long Position => _position;
    public override long Batch => 0;

    public override bool MoveNext()
    {
        if (_exhausted) return false;
        if (_current is null || _row + 1 >= _current.Count)
        {
            _cancel.ThrowIfCancellationRequested();
            _current = _pipeline.Next(_current);
            if (_current is null)
            {
                _exhausted = true;
                return false;
            }
            _row = 0;
        }
        else _row++;
        _entry = _current.Index * _capacity + _row;
        _position++;
        return true;
    }

    /// <summary>The current row's values of active output <paramref name="activeIndex"/>.</summary>
    public ReadOnlySpan<float> CurrentOutput(int activeIndex)
    {
        int size = _current!.Runner.OutputSize(activeIndex);
        return _current.Runner.OutputBuffers[activeIndex].AsSpan(_row * size, size);
    }

    /// <summary>Appends the current row's teacher inputs, as fed to the model, to <paramref name="hasher"/>.</summary>
    public void HashCurrentInputs(RowHasher hasher)
    {
        for (int i = 0; i < _current!.Runner.InputCount; i++)
        {
            int size = _current.Runner.InputRowSize(i);
            hasher.Append(_current.Runner.InputBuffer(i), _row * size, size);
        }
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ValueGetter<DataViewRowId>)_ids.CreateGetter(() => _entry);

    public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_active.Contains(column.Index))
            throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
        if (column.Index < _inputCount)
            return (ValueGetter<TValue>)_buffers[column.Index].CreateGetter(() => _entry);

        int j = column.Index - _inputCount;
        int activeIndex = _activeOutputs.Take(j).Count(a => a);
        int size = _outputs[j].RowSize;
        ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
        {
            var editor = VBufferEditor.Create(ref value, size);
            _current!.Runner.OutputBuffers[activeIndex].AsSpan(_row * size, size).CopyTo(editor.Values);
            value = editor.Commit();
        };
        return (ValueGetter<TValue>)(Delegate)getter;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _pipeline.Dispose();
            _upstream.Dispose();
        }
        base.Dispose(disposing);
    }
}
