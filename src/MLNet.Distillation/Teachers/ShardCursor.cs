using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// The rows of one <see cref="TeacherShard"/> of an upstream cursor: moves the upstream cursor past the rows of the other
/// shards (their columns are never read), so a teacher pass over it scores only this shard's rows.
/// </summary>
internal sealed class ShardCursor(DataViewRowCursor upstream, TeacherShard shard) : DataViewRowCursor
{
    private long _upstreamRow = -1;
    private long _position = -1;

    public override DataViewSchema Schema => upstream.Schema;
    public override long Position => _position;
    public override long Batch => 0;

    public override bool MoveNext()
    {
        while (upstream.MoveNext())
            if (shard.Contains(++_upstreamRow))
            {
                _position++;
                return true;
            }
        return false;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => upstream.GetIdGetter();
    public override bool IsColumnActive(DataViewSchema.Column column) => upstream.IsColumnActive(column);
    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => upstream.GetGetter<TValue>(column);

    protected override void Dispose(bool disposing)
    {
        if (disposing) upstream.Dispose();
        base.Dispose(disposing);
    }
}
