using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Progress;

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
    private readonly Func<ProgressMeter> _meter;
    private long _rowsWritten;

    /// <param name="view">The teacher transform's view.</param>
    /// <param name="codecs">How each output is stored.</param>
    /// <param name="fingerprint">Stored as an annotation of the first column.</param>
    /// <param name="meter">Makes the progress meter of a pass: it counts and reports the rows and stops the pass when cancelled.</param>
    public CacheSourceView(DistillDataView view, SoftLabelCodec[] codecs, TeacherFingerprint fingerprint, Func<ProgressMeter> meter)
    {
        _view = view;
        _codecs = codecs;
        _meter = meter;
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

    public long? GetRowCount() => _view.Parent.Cache!.RowsFor(_view.Input.GetRowCount());

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var meter = _meter();
        meter.Start();
        return new Cursor(this, _view.OpenTeacherPass(), meter);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(CacheSourceView parent, BatchedTeacherCursor teacher, ProgressMeter meter) : DataViewRowCursor
    {
        private readonly RowHasher _hasher = new();
        private readonly float[][] _served = parent._codecs.Select(c => new float[c.Size]).ToArray();
        private ulong _inputHash;
        private ulong _outputHash;
        private long _position = -1;
        private bool _finished;

        public override DataViewSchema Schema => parent.Schema;
        public override long Position => _position;
        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (!teacher.MoveNext())
            {
                Interlocked.Exchange(ref parent._rowsWritten, _position + 1);
                if (!_finished) meter.Finish();
                _finished = true;
                return false;
            }
            meter.Row();
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
