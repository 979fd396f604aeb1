using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// The cursor of <see cref="DistillDataView"/> when a soft-label cache serves the teacher columns: walks the upstream rows
/// and the cache rows in step, checks each row's teacher inputs against the hash the cache holds for that row (stale
/// data) and the served outputs against theirs (damage), and never runs the teacher. Pass-through columns come straight
/// from upstream.
/// </summary>
internal sealed class CachedTeacherCursor : DataViewRowCursor
{
    private readonly DataViewRowCursor _upstream;
    private readonly DataViewRowCursor _cache;
    private readonly DistillDataView _view;
    private readonly SoftLabelCache _owner;
    private readonly HashSet<int> _active;
    private readonly IInputFiller[] _fillers;
    private readonly Array[] _inputRows;
    private readonly ValueGetter<ulong> _cachedInputHash;
    private readonly ValueGetter<ulong> _cachedOutputHash;
    private readonly Action<Span<float>>[] _readers;
    private readonly float[][] _served;
    private readonly RowHasher _hasher = new();
    private long _position = -1;
    private bool _done;

    public CachedTeacherCursor(DataViewRowCursor upstream, DataViewRowCursor cache, DistillDataView view, SoftLabelCache owner, HashSet<int> active)
    {
        _upstream = upstream;
        _cache = cache;
        _view = view;
        _owner = owner;
        _active = active;
        _inputRows = view.Inputs.Select(b => Array.CreateInstance(b.ElementType, b.RowSize)).ToArray();
        _fillers = view.Inputs.Select((b, i) => (IInputFiller)Activator.CreateInstance(typeof(InputFiller<>).MakeGenericType(b.ElementType),
            upstream, upstream.Schema[b.ColumnName], _inputRows[i], b.RowSize, b.IsVectorColumn)!).ToArray();
        var codecs = owner.CreateCodecs(view.Outputs);
        _cachedInputHash = cache.GetGetter<ulong>(cache.Schema[SoftLabelCache.InputHashColumn]);
        _cachedOutputHash = cache.GetGetter<ulong>(cache.Schema[SoftLabelCache.OutputHashColumn]);
        _readers = codecs.Select((c, j) => c.CreateReader(cache, cache.Schema[view.Outputs[j].ColumnName])).ToArray();
        _served = codecs.Select(c => new float[c.Size]).ToArray();
    }

    public override DataViewSchema Schema => _view.Schema;
    public override long Position => _position;
    public override long Batch => 0;

    public override bool MoveNext()
    {
        if (_done) return false;
        bool hasRow = _upstream.MoveNext();
        bool hasCached;
        try { hasCached = _cache.MoveNext(); }
        catch (Exception e) when (e is not OutOfMemoryException) { throw _owner.Damaged($"reading row {_position + 1} failed ({e.Message})", e); }
        if (!hasRow && !hasCached)
        {
            _done = true;
            return false;
        }
        if (hasRow != hasCached)
            throw _owner.Stale(hasRow ? $"the data has more rows than the {_position + 1} the cache holds" : $"the data ends after {_position + 1} rows, the cache holds more");
        _position++;

        foreach (var f in _fillers) f.Fill(0);
        for (int i = 0; i < _inputRows.Length; i++) _hasher.Append(_inputRows[i], 0, _inputRows[i].Length);
        ulong inputHash = _hasher.Finish(), cachedInput = 0, cachedOutput = 0;
        try
        {
            _cachedInputHash(ref cachedInput);
            _cachedOutputHash(ref cachedOutput);
            for (int j = 0; j < _readers.Length; j++)
            {
                _readers[j](_served[j]);
                _hasher.Append(_served[j]);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException) { throw _owner.Damaged($"row {_position} cannot be decoded ({e.Message})", e); }
        if (inputHash != cachedInput)
            throw _owner.Stale($"row {_position}'s teacher inputs ({string.Join(", ", _view.Inputs.Select(b => $"column '{b.ColumnName}'"))}) differ from the row the cache was written for");
        if (_hasher.Finish() != cachedOutput)
            throw _owner.Damaged($"row {_position}'s stored outputs do not match their checksum", null);
        return true;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => _upstream.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_active.Contains(column.Index))
            throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
        int inputCount = _view.Input.Schema.Count;
        if (column.Index < inputCount) return _upstream.GetGetter<TValue>(_upstream.Schema[column.Index]);
        var served = _served[column.Index - inputCount];
        ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
        {
            var editor = VBufferEditor.Create(ref value, served.Length);
            served.CopyTo(editor.Values);
            value = editor.Commit();
        };
        return (ValueGetter<TValue>)(Delegate)getter;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _cache.Dispose();
            _upstream.Dispose();
        }
        base.Dispose(disposing);
    }
}
