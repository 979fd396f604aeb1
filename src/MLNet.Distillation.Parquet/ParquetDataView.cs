using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Parquet;

/// <summary>
/// Parquet files as one <see cref="IDataView"/>: the files' rows in the order given, read lazily row group by row group,
/// and only the columns a cursor asks for. Made by <c>mlContext.Data.LoadFromParquet</c>; every file must have the same
/// columns (names, types, vector sizes). Memory: one row group of the active columns at a time.
/// </summary>
internal sealed class ParquetDataView : IDataView
{
    private readonly ParquetFileSchema[] _files;
    private readonly ParquetColumn[] _columns;

    public ParquetDataView(IReadOnlyList<string> paths, IReadOnlyCollection<string>? columns)
    {
        _files = paths.Select(p => ParquetFileSchema.Read(p, columns)).ToArray();
        var first = _files[0];
        _columns = first.Columns;
        foreach (var file in _files.Skip(1))
        {
            foreach (var c in _columns)
            {
                var other = file.Columns.FirstOrDefault(x => x.Name == c.Name);
                if (other is null || other.Kind != c.Kind || other.VectorSize != c.VectorSize)
                    throw new InvalidDataException($"Parquet files '{first.Path}' and '{file.Path}' do not have the same columns: '{c.Name}' is {c.Describe()} in the first and " +
                        $"{(other is null ? "missing" : other.Describe())} in the second. Files read as one data set need the same columns.");
            }
            var extra = file.Columns.Select(x => x.Name).Except(_columns.Select(x => x.Name)).ToArray();
            if (extra.Length > 0)
                throw new InvalidDataException($"Parquet file '{file.Path}' has column(s) {string.Join(", ", extra.Select(x => $"'{x}'"))} that '{first.Path}' does not; " +
                    "files read as one data set need the same columns (or pass the columns to read).");
        }
        var builder = new DataViewSchema.Builder();
        foreach (var c in _columns) builder.AddColumn(c.Name, c.Type, ParquetAnnotations.Read(first.Metadata, c, first.Path));
        Schema = builder.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _files.Sum(f => f.Rows);

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        => new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly ParquetDataView _parent;
        private readonly HashSet<int> _active;
        private readonly Dictionary<int, RowGroupColumn> _columns = new();
        private readonly Func<int> _row;
        private int _file = -1;
        private int _group = -1;
        private int _rowsInGroup;
        private int _rowInGroup = -1;
        private long _firstRowOfGroup;
        private long _position = -1;
        private global::Parquet.ParquetReader? _reader;

        public Cursor(ParquetDataView parent, HashSet<int> active)
        {
            _parent = parent;
            _active = active;
            foreach (var i in active) _columns[i] = RowGroupColumn.Create(parent._columns[i]);
            _row = () => _rowInGroup;
        }

        public override DataViewSchema Schema => _parent.Schema;
        public override long Position => _position;
        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (++_rowInGroup >= _rowsInGroup && !NextGroup()) return false;
            _position++;
            return true;
        }

        private bool NextGroup()
        {
            _firstRowOfGroup += _rowsInGroup;
            var files = _parent._files;
            while (_file < files.Length)
            {
                if (_file >= 0 && ++_group < files[_file].RowGroupRows.Length)
                {
                    _rowsInGroup = checked((int)files[_file].RowGroupRows[_group]);
                    _rowInGroup = -1;
                    if (_rowsInGroup == 0) continue;
                    var where = $"Parquet file '{files[_file].Path}' row group {_group}";
                    using var group = _reader!.OpenRowGroupReader(_group);
                    foreach (var column in _columns.Values)
                    {
                        try { column.Load(group, _rowsInGroup, where, _firstRowOfGroup); }
                        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException)
                        {
                            throw new InvalidDataException($"{where} column '{column.Column.Name}' cannot be read ({e.Message}).", e);
                        }
                    }
                    _rowInGroup = 0;
                    return true;
                }
                CloseFile();
                if (++_file >= files.Length) return false;
                _reader = ParquetFileSchema.Open(files[_file].Path, out _);
                _group = -1;
                _rowsInGroup = 0;
            }
            return false;
        }

        private void CloseFile()
        {
            _reader?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _reader = null;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter()
            => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_columns.TryGetValue(column.Index, out var values))
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
            return values.Getter(_row) as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}; it cannot be read as {typeof(TValue).Name}.");
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) CloseFile();
            base.Dispose(disposing);
        }
    }
}
