using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Teachers;

/// <summary>The output of <see cref="CombineTeachersTransformer"/>: the input plus the combined column, computed per row when read.</summary>
internal sealed class CombinedTeachersDataView(IDataView input, CombinedTeachersBinding binding) : IDataView
{
    public bool CanShuffle => input.CanShuffle;

    public DataViewSchema Schema => binding.Schema;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var active = columnsNeeded.Select(c => c.Index).ToHashSet();
        var upstream = Dependencies(active).Select(i => input.Schema[i]);
        return new Cursor(input.GetRowCursor(upstream, rand), binding, active);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private IEnumerable<int> Dependencies(HashSet<int> active)
    {
        var result = active.Where(i => i < binding.InputCount).ToHashSet();
        if (active.Contains(binding.InputCount)) result.UnionWith(binding.TeacherIndices);
        return result;
    }

    /// <summary>Serves the input columns of <c>input</c> and computes the combined column from its teacher columns.</summary>
    private sealed class Row(DataViewRow input, CombinedTeachersBinding binding, HashSet<int> active)
        : AppendedColumnsRow(input, binding.Schema, active)
    {
        protected override Delegate AppendedGetter(int appended)
        {
            var getters = binding.TeacherIndices.Select(i => Input.GetGetter<VBuffer<float>>(Input.Schema[i])).ToArray();
            var values = new VBuffer<float>[getters.Length];
            var dense = getters.Select(_ => new float[binding.Classes]).ToArray();
            var combiner = binding.CreateCombiner();
            int size = binding.Classes;
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                for (int i = 0; i < getters.Length; i++)
                {
                    getters[i](ref values[i]);
                    values[i].CopyTo(dense[i]);
                }
                var editor = VBufferEditor.Create(ref value, size);
                combiner.Combine(dense, editor.Values);
                value = editor.Commit();
            };
            return getter;
        }
    }

    private sealed class Cursor(DataViewRowCursor upstream, CombinedTeachersBinding binding, HashSet<int> active) : DataViewRowCursor
    {
        private readonly Row _row = new(upstream, binding, active);

        public override DataViewSchema Schema => binding.Schema;
        public override long Position => upstream.Position;
        public override long Batch => upstream.Batch;
        public override bool MoveNext() => upstream.MoveNext();
        public override ValueGetter<DataViewRowId> GetIdGetter() => upstream.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);
        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _row.GetGetter<TValue>(column);
        protected override void Dispose(bool disposing) { if (disposing) upstream.Dispose(); base.Dispose(disposing); }
    }

    /// <summary>Row-at-a-time view for <c>PredictionEngine</c>.</summary>
    internal sealed class Mapper(DataViewSchema inputSchema, CombinedTeachersBinding binding) : IRowToRowMapper
    {
        public DataViewSchema InputSchema => inputSchema;
        public DataViewSchema OutputSchema => binding.Schema;

        public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
        {
            var active = dependingColumns.Select(c => c.Index).ToHashSet();
            var result = active.Where(i => i < binding.InputCount).ToHashSet();
            if (active.Contains(binding.InputCount)) result.UnionWith(binding.TeacherIndices);
            return result.Select(i => inputSchema[i]);
        }

        public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
            => new Row(input, binding, activeColumns.Select(c => c.Index).ToHashSet());
    }
}
