using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// Row-at-a-time view of <see cref="DistillTransformer"/> for <c>PredictionEngine</c>. The teacher runs (batch of one)
/// only when a teacher column is active and read; a student downstream never reads it, so prediction never runs the teacher.
/// </summary>
internal sealed class DistillRowMapper(DistillTransformer parent, DataViewSchema inputSchema, DataViewSchema outputSchema,
    InputBinding[] inputs, OutputBinding[] outputs) : IRowToRowMapper
{
    private DistillTransformer Parent => parent;
    private InputBinding[] Inputs => inputs;
    private OutputBinding[] Outputs => outputs;

    public DataViewSchema InputSchema => inputSchema;
    public DataViewSchema OutputSchema => outputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var cols = dependingColumns.ToArray();
        var result = cols.Where(c => c.Index < inputSchema.Count).Select(c => inputSchema[c.Index]).ToList();
        if (cols.Any(c => c.Index >= inputSchema.Count))
            result.AddRange(inputs.Select(b => inputSchema[b.ColumnName]));
        return result.DistinctBy(c => c.Index);
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        => new Row(this, input, activeColumns.Select(c => c.Index).ToHashSet());

    private sealed class Row : DataViewRow
    {
        private readonly DistillRowMapper _mapper;
        private readonly DataViewRow _input;
        private readonly HashSet<int> _active;
        private TeacherBatchRunner? _runner;
        private IInputFiller[]? _fillers;
        private long _scoredPosition = -1;

        public Row(DistillRowMapper mapper, DataViewRow input, HashSet<int> active)
        {
            _mapper = mapper;
            _input = input;
            _active = active;
        }

        public override DataViewSchema Schema => _mapper.OutputSchema;
        public override long Position => _input.Position;
        public override long Batch => _input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int inputCount = _mapper.InputSchema.Count;
            if (column.Index < inputCount) return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            int j = column.Index - inputCount;
            int size = _mapper.Outputs[j].RowSize;
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                EnsureScored();
                var editor = VBufferEditor.Create(ref value, size);
                _runner!.OutputBuffers[j].AsSpan(0, size).CopyTo(editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)getter;
        }

        private void EnsureScored()
        {
            if (_runner is null)
            {
                _runner = new TeacherBatchRunner(_mapper.Parent.Model, _mapper.Inputs, _mapper.Outputs, 1, _mapper.Parent.RecordScored);
                _fillers = _runner.CreateFillers(_input);
            }
            if (_scoredPosition == _input.Position) return;
            foreach (var f in _fillers!) f.Fill(0);
            _runner.Run(1);
            _scoredPosition = _input.Position;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _runner?.Dispose();
            base.Dispose(disposing);
        }
    }
}
