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

    private sealed class Row(DistillRowMapper mapper, DataViewRow input, HashSet<int> active)
        : AppendedColumnsRow(input, mapper.OutputSchema, active)
    {
        private TeacherBatchRunner? _runner;
        private IInputFiller[]? _fillers;
        private long _scoredPosition = -1;

        protected override Delegate AppendedGetter(int j)
        {
            int size = mapper.Outputs[j].RowSize;
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                EnsureScored();
                var editor = VBufferEditor.Create(ref value, size);
                _runner!.OutputBuffers[j].AsSpan(0, size).CopyTo(editor.Values);
                value = editor.Commit();
            };
            return getter;
        }

        private void EnsureScored()
        {
            if (_runner is null)
            {
                _runner = new TeacherBatchRunner(mapper.Parent.Model, mapper.Inputs, mapper.Outputs, 1, mapper.Parent.RecordScored);
                _fillers = _runner.CreateFillers(Input);
            }
            if (_scoredPosition == Input.Position) return;
            foreach (var f in _fillers!) f.Fill(0);
            _runner.Run(1);
            _scoredPosition = Input.Position;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _runner?.Dispose();
            base.Dispose(disposing);
        }
    }
}
