using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// The output of <see cref="DistillTransformer.Transform"/>: the input columns plus one float vector column per mapped
/// teacher output. Cursors that do not ask for a teacher column never run the teacher; cursors that do read the input
/// in batches of <see cref="DistillOptions.BatchSize"/> rows and run one ONNX Runtime call per batch — or, with a
/// soft-label cache, read the teacher columns from the cache file.
/// </summary>
internal sealed class DistillDataView : IDataView
{
    public DistillDataView(IDataView input, DistillTransformer parent, InputBinding[] inputs, OutputBinding[] outputs, DataViewSchema schema)
    {
        Input = input;
        Parent = parent;
        Inputs = inputs;
        Outputs = outputs;
        Schema = schema;
    }

    public IDataView Input { get; }
    public DistillTransformer Parent { get; }
    public InputBinding[] Inputs { get; }
    public OutputBinding[] Outputs { get; }

    /// <summary>A cached view serves rows in the order they were cached, so it does not shuffle.</summary>
    public bool CanShuffle => Parent.Cache is null && Input.CanShuffle;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => Input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
        int inputCount = Input.Schema.Count;
        var activeOutputs = Outputs.Select((o, j) => needed.Contains(inputCount + j)).ToArray();
        var upstreamNeeded = needed.Where(i => i < inputCount).ToHashSet();
        if (!activeOutputs.Any(a => a))
            return new PassThroughCursor(Input.GetRowCursor(upstreamNeeded.Select(i => Input.Schema[i]), rand), Schema, needed);

        foreach (var b in Inputs) upstreamNeeded.Add(Input.Schema[b.ColumnName].Index);
        if (Parent.Cache is { Shard: { } shard } shardCache)
            throw new InvalidOperationException($"This Distill step labels only shard {shard} of the rows into soft-label cache '{shardCache.Path}' " +
                "(DistillOptions.Shard), so it cannot serve the teacher columns of every row. Write the shard with DistillTransformer.WriteCache, " +
                "merge the shards' caches with mlContext.Data.MergeSoftLabelShards, and read the merged file through a Distill step without " +
                "DistillOptions.Shard whose CachePath is that file (docs/scale.md).");
        if (Parent.Cache is { } cache)
        {
            var cached = cache.Open(this);
            var cacheCursor = cached.GetRowCursor(cached.Schema);
            try
            {
                return new CachedTeacherCursor(Input.GetRowCursor(upstreamNeeded.Select(i => Input.Schema[i])), cacheCursor, this, cache, needed);
            }
            catch
            {
                cacheCursor.Dispose();
                throw;
            }
        }
        var upstream = Input.GetRowCursor(upstreamNeeded.Select(i => Input.Schema[i]), rand);
        var passThrough = needed.Where(i => i < inputCount).ToArray();
        return new BatchedTeacherCursor(upstream, Schema, Parent, Inputs, Outputs, activeOutputs, passThrough, needed);
    }

    /// <summary>
    /// A teacher pass over every row — or every row of the cache's <see cref="TeacherShard"/> — that reads only the teacher
    /// inputs and produces every output (to fill a cache).
    /// </summary>
    public BatchedTeacherCursor OpenTeacherPass()
    {
        var upstream = Input.GetRowCursor(Inputs.Select(b => Input.Schema[b.ColumnName]).DistinctBy(c => c.Index));
        if (Parent.Cache?.Shard is { } shard) upstream = new ShardCursor(upstream, shard);
        var outputIndices = Outputs.Select((_, j) => Input.Schema.Count + j).ToHashSet();
        return new BatchedTeacherCursor(upstream, Schema, Parent, Inputs, Outputs, Outputs.Select(_ => true).ToArray(), [], outputIndices);
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
