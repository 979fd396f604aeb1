using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// A row that serves its input's columns unchanged and appends computed columns after them (the row-at-a-time view of
/// <see cref="DistillTransformer"/> and of the teacher combiner). Subclasses compute only the appended columns.
/// </summary>
internal abstract class AppendedColumnsRow(DataViewRow input, DataViewSchema schema, HashSet<int> active) : DataViewRow
{
    protected DataViewRow Input => input;

    public override DataViewSchema Schema => schema;
    public override long Position => input.Position;
    public override long Batch => input.Batch;
    public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();
    public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

    public sealed override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!active.Contains(column.Index))
            throw new InvalidOperationException($"Column '{column.Name}' was not requested when this row was created.");
        int inputCount = input.Schema.Count;
        return column.Index < inputCount
            ? input.GetGetter<TValue>(input.Schema[column.Index])
            : (ValueGetter<TValue>)AppendedGetter(column.Index - inputCount);
    }

    /// <summary>Getter of the <paramref name="appended"/>-th computed column (a <c>ValueGetter&lt;VBuffer&lt;float&gt;&gt;</c>).</summary>
    protected abstract Delegate AppendedGetter(int appended);
}
