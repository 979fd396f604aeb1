namespace MLNet.Distillation.Training;

/// <summary>
/// A buffer shuffle over the slots of a <see cref="TrainingSet"/>: filled from a stream of rows, it hands out batches of
/// slots chosen at random among the filled ones, and the stream's next rows take the slots of the rows handed out. Every
/// row of the stream is handed out exactly once; when the stream ends the buffer drains.
/// </summary>
internal sealed class ShuffleBuffer
{
    private readonly int[] _live;   // the filled slots; after Draw, the drawn ones first
    private int _count;

    /// <param name="slots">Number of slots.</param>
    public ShuffleBuffer(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        _live = new int[slots];
    }

    /// <summary>Filled slots.</summary>
    public int Count => _count;

    /// <summary>Empties the buffer and fills its slots in order; <paramref name="put"/> writes the stream's next row into a slot and returns false when the stream has ended.</summary>
    public void Fill(Func<int, bool> put)
    {
        _count = 0;
        while (_count < _live.Length && put(_count)) _live[_count] = _count++;
    }

    /// <summary>Chooses min(<paramref name="rows"/>, <see cref="Count"/>) filled slots at random, in random order.</summary>
    public ReadOnlySpan<int> Draw(int rows, Random rng)
    {
        int n = Math.Min(rows, _count);
        for (int i = 0; i < n; i++)
        {
            int j = rng.Next(i, _count);
            (_live[i], _live[j]) = (_live[j], _live[i]);
        }
        return _live.AsSpan(0, n);
    }

    /// <summary>
    /// Refills the <paramref name="drawn"/> slots the last <see cref="Draw"/> chose from the stream (<paramref name="put"/>),
    /// in the order drawn; slots the ended stream cannot fill are dropped.
    /// </summary>
    public void Replace(int drawn, Func<int, bool> put)
    {
        int kept = 0;
        for (int i = 0; i < drawn; i++)
            if (put(_live[i])) _live[kept++] = _live[i];
        if (kept == drawn) return;
        Array.Copy(_live, drawn, _live, kept, _count - drawn);
        _count -= drawn - kept;
    }
}
