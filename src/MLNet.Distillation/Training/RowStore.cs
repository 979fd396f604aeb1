namespace MLNet.Distillation.Training;

/// <summary>
/// Rows of a fixed width, appended once and read by index, held in chunks of at most <see cref="ChunkBytes"/>: no array
/// grows past a chunk, so there is no copy of the whole data when it grows and no limit of one .NET array on the row
/// count. When the row count is known up front the chunks are allocated at their final size. Otherwise the first chunk
/// starts small and doubles (small data stays small) and every later chunk is allocated whole: at most one partly filled
/// chunk is allocated beyond the rows, and its untouched pages are not resident.
/// </summary>
internal sealed class RowStore<T> where T : unmanaged
{
    /// <summary>Largest chunk, in bytes.</summary>
    public const int ChunkBytes = 16 << 20;

    /// <summary>First size of a chunk when the row count is unknown, in rows.</summary>
    private const int InitialRows = 1024;

    private readonly List<T[]> _chunks = new();
    private readonly int _rowsPerChunk;
    private readonly long? _expectedRows;

    /// <param name="width">Values per row.</param>
    /// <param name="expectedRows">The row count when known (<c>IDataView.GetRowCount()</c>); more rows still fit.</param>
    public RowStore(int width, long? expectedRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        Width = width;
        _expectedRows = expectedRows;
        _rowsPerChunk = Math.Max(1, ChunkBytes / (width * System.Runtime.CompilerServices.Unsafe.SizeOf<T>()));
    }

    /// <summary>Values per row.</summary>
    public int Width { get; }

    /// <summary>Rows appended so far.</summary>
    public int Count { get; private set; }

    /// <summary>Adds a row and returns its values to fill.</summary>
    public Span<T> Append()
    {
        if (Count == int.MaxValue) throw new InvalidOperationException($"The student holds at most {int.MaxValue} rows in memory.");
        int chunk = Count / _rowsPerChunk, offset = Count % _rowsPerChunk;
        if (chunk == _chunks.Count) _chunks.Add(new T[(long)FirstRows(chunk) * Width]);
        var values = _chunks[chunk];
        if ((long)(offset + 1) * Width > values.Length)
        {
            int rows = (int)Math.Min(_rowsPerChunk, Math.Max(offset + 1, 2L * values.Length / Width));
            Array.Resize(ref values, rows * Width);
            _chunks[chunk] = values;
        }
        Count++;
        return values.AsSpan(offset * Width, Width);
    }

    /// <summary>The values of row <paramref name="row"/>.</summary>
    public Span<T> this[int row]
    {
        get
        {
            if ((uint)row >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(row), row, $"The store holds {Count} rows.");
            return _chunks[row / _rowsPerChunk].AsSpan(row % _rowsPerChunk * Width, Width);
        }
    }

    /// <summary>Copies the given rows, in the given order, one after the other into <paramref name="destination"/>.</summary>
    public void Gather(ReadOnlySpan<int> rows, Span<T> destination)
    {
        for (int i = 0; i < rows.Length; i++) this[rows[i]].CopyTo(destination.Slice(i * Width, Width));
    }

    /// <summary>The filled part of each chunk, in row order (for passes over every row).</summary>
    public IEnumerable<Memory<T>> Chunks()
    {
        for (int c = 0; c < _chunks.Count; c++)
        {
            int rows = Math.Min(_rowsPerChunk, Count - c * _rowsPerChunk);
            yield return _chunks[c].AsMemory(0, rows * Width);
        }
    }

    /// <summary>Bytes held by the chunks.</summary>
    public long AllocatedBytes => _chunks.Sum(c => (long)c.Length) * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    /// <summary>
    /// Rows to allocate for a new chunk: its share of the known row count; without one, a small start for the first chunk
    /// (it doubles as needed) and a whole chunk for the others — doubling every chunk would leave three times the data in
    /// discarded arrays for the garbage collector.
    /// </summary>
    private int FirstRows(int chunk)
    {
        if (_expectedRows is long expected)
        {
            long left = expected - (long)chunk * _rowsPerChunk;
            if (left > 0) return (int)Math.Min(_rowsPerChunk, left);
        }
        return chunk == 0 ? Math.Min(_rowsPerChunk, InitialRows) : _rowsPerChunk;
    }
}
