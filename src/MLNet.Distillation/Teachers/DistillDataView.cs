using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// The output of <see cref="DistillTransformer.Transform"/>: the input columns plus one float vector column per mapped
/// teacher output. Cursors that do not ask for a teacher column never run the teacher; cursors that do read the input
/// in batches of <see cref="DistillOptions.BatchSize"/> rows and run one ONNX Runtime call per batch.
/// </summary>
internal sealed class DistillDataView : IDataView
{
    private readonly IDataView _input;
    private readonly DistillTransformer _parent;
    private readonly InputBinding[] _inputs;
    private readonly OutputBinding[] _outputs;

    public DistillDataView(IDataView input, DistillTransformer parent, InputBinding[] inputs, OutputBinding[] outputs, DataViewSchema schema)
    {
        _input = input;
        _parent = parent;
        _inputs = inputs;
        _outputs = outputs;
        Schema = schema;
    }

    public bool CanShuffle => _input.CanShuffle;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
        int inputCount = _input.Schema.Count;
        var activeOutputs = _outputs.Select((o, j) => needed.Contains(inputCount + j)).ToArray();
        var upstreamNeeded = needed.Where(i => i < inputCount).ToHashSet();
        if (!activeOutputs.Any(a => a))
            return new PassThroughCursor(_input.GetRowCursor(upstreamNeeded.Select(i => _input.Schema[i]), rand), Schema, needed);

        foreach (var b in _inputs) upstreamNeeded.Add(_input.Schema[b.ColumnName].Index);
        var upstream = _input.GetRowCursor(upstreamNeeded.Select(i => _input.Schema[i]), rand);
        var passThrough = needed.Where(i => i < inputCount).ToArray();
        return new BatchedTeacherCursor(upstream, Schema, _parent, _inputs, _outputs, activeOutputs, passThrough, needed);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    /// <summary>Cursor used when no teacher column is needed: forwards the input unchanged.</summary>
    private sealed class PassThroughCursor(DataViewRowCursor input, DataViewSchema schema, HashSet<int> active) : DataViewRowCursor
    {
        public override DataViewSchema Schema => schema;
        public override long Position => input.Position;
        public override long Batch => input.Batch;
        public override bool MoveNext() => input.MoveNext();
        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);
        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => input.GetGetter<TValue>(input.Schema[column.Index]);
        protected override void Dispose(bool disposing) { if (disposing) input.Dispose(); base.Dispose(disposing); }
    }

    /// <summary>
    /// Reads up to a batch of upstream rows, copying teacher inputs into the runner's buffers and pass-through values into
    /// <see cref="ColumnBuffer"/>s, runs the teacher once, then serves the buffered rows one by one.
    /// </summary>
    private sealed class BatchedTeacherCursor : DataViewRowCursor
    {
        private readonly DataViewRowCursor _upstream;
        private readonly DataViewSchema _schema;
        private readonly HashSet<int> _active;
        private readonly OutputBinding[] _outputs;
        private readonly bool[] _activeOutputs;
        private readonly TeacherBatchRunner _runner;
        private readonly IInputFiller[] _fillers;
        private readonly Dictionary<int, ColumnBuffer> _buffers = new();
        private readonly ColumnBuffer _ids;
        private readonly int _inputCount;
        private int _count;     // rows in the current batch
        private int _slot = -1; // current row within the batch
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
            var activeBindings = outputs.Where((_, j) => activeOutputs[j]).ToArray();
            _runner = new TeacherBatchRunner(parent.Model, inputs, activeBindings, parent.BatchSize, parent.RecordScored);
            _fillers = _runner.CreateFillers(upstream);
            foreach (var i in passThrough) _buffers[i] = ColumnBuffer.Create(upstream, upstream.Schema[i], parent.BatchSize);
            _ids = new ScalarColumnBuffer<DataViewRowId>(upstream.GetIdGetter(), parent.BatchSize);
        }

        public override DataViewSchema Schema => _schema;
        public override long Position => _position;
        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (_slot + 1 < _count)
            {
                _slot++;
                _position++;
                return true;
            }
            if (_exhausted) return false;
            FillBatch();
            if (_count == 0) return false;
            _slot = 0;
            _position++;
            return true;
        }

        private void FillBatch()
        {
            int n = 0;
            while (n < _runner.Capacity && _upstream.MoveNext())
            {
                foreach (var f in _fillers) f.Fill(n);
                foreach (var b in _buffers.Values) b.Load(n);
                _ids.Load(n);
                n++;
            }
            if (n < _runner.Capacity) _exhausted = true;
            _count = n;
            _runner.Run(n);
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ValueGetter<DataViewRowId>)_ids.CreateGetter(() => _slot);

        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active.Contains(column.Index))
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
            if (column.Index < _inputCount)
                return (ValueGetter<TValue>)_buffers[column.Index].CreateGetter(() => _slot);

            int j = column.Index - _inputCount;
            int activeIndex = _activeOutputs.Take(j).Count(a => a);
            var buffer = _runner.OutputBuffers[activeIndex];
            int size = _outputs[j].RowSize;
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                var editor = VBufferEditor.Create(ref value, size);
                buffer.AsSpan(_slot * size, size).CopyTo(editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)getter;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _runner.Dispose();
                _upstream.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
