using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// What <see cref="SoftLabelCache"/> writes with <c>SaveAsBinary</c>: one teacher pass over the data (batched, overlapped),
/// seen as rows of <c>RowInputHash</c> (carrying the fingerprint annotation), <c>RowOutputHash</c> and each output in its
/// stored form. Streams: memory stays bounded by the teacher's batch slots whatever the number of rows.
/// </summary>
internal sealed class CacheSourceView : IDataView
{
    private readonly DistillDataView _view;
    private readonly SoftLabelCodec[] _codecs;
    private long _rowsWritten;

    public CacheSourceView(DistillDataView view, SoftLabelCodec[] codecs, TeacherFingerprint fingerprint)
    {
        _view = view;
        _codecs = codecs;
        var builder = new DataViewSchema.Builder();
        var annotations = new DataViewSchema.Annotations.Builder();
        var text = fingerprint.ToString();
        annotations.Add(SoftLabelCache.FingerprintAnnotation, TextDataViewType.Instance, (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = text.AsMemory()));
        builder.AddColumn(SoftLabelCache.InputHashColumn, NumberDataViewType.UInt64, annotations.ToAnnotations());
        builder.AddColumn(SoftLabelCache.OutputHashColumn, NumberDataViewType.UInt64);
        for (int j = 0; j < codecs.Length; j++) builder.AddColumn(view.Outputs[j].ColumnName, codecs[j].StoredType);
        Schema = builder.ToSchema();
    }

    /// <summary>Rows produced by the last completed pass.</summary>
    public long RowsWritten => Interlocked.Read(ref _rowsWritten);

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _view.Input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        => new Cursor(this, _view.OpenTeacherPass());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(CacheSourceView parent, BatchedTeacherCursor teacher) : DataViewRowCursor
    {
        private readonly RowHasher _hasher = new();
        private readonly float[][] _served = parent._codecs.Select(c => new float[c.Size]).ToArray();
        private ulong _inputHash;
        private ulong _outputHash;
        private long _position = -1;

        public override DataViewSchema Schema => parent.Schema;
        public override long Position => _position;
        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (!teacher.MoveNext())
            {
                Interlocked.Exchange(ref parent._rowsWritten, _position + 1);
                return false;
            }
            teacher.HashCurrentInputs(_hasher);
            _inputHash = _hasher.Finish();
            for (int j = 0; j < parent._codecs.Length; j++)
            {
                parent._codecs[j].Encode(teacher.CurrentOutput(j));
                parent._codecs[j].DecodeLast(_served[j]);
                _hasher.Append(_served[j]);
            }
            _outputHash = _hasher.Finish();
            _position++;
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter()
            => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index == 0) return (ValueGetter<TValue>)(Delegate)(ValueGetter<ulong>)((ref ulong v) => v = _inputHash);
            if (column.Index == 1) return (ValueGetter<TValue>)(Delegate)(ValueGetter<ulong>)((ref ulong v) => v = _outputHash);
            return (ValueGetter<TValue>)parent._codecs[column.Index - 2].StoredGetter();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) teacher.Dispose();
            base.Dispose(disposing);
        }
    }
}
