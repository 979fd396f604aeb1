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
}
