namespace MLNet.Distillation.Training;

/// <summary>
/// How an epoch cuts the training rows into batches. Without groups: the rows shuffled, cut every
/// <c>BatchSize</c> rows. With groups (ranking): the groups shuffled, each batch a fixed number of whole groups —
/// <c>BatchSize</c> over the mean group size, at least one — so that every epoch makes the same number of steps and the
/// ranking losses see each query whole. Rows of a group stay together, in their order.
/// </summary>
internal sealed class BatchPlan
{
    private readonly int[][]? _groups;       // rows of each group (ranking)
    private readonly int _groupsPerBatch;
    private readonly int _batch;

    public BatchPlan(TrainingSet set, int batchSize)
    {
        Rows = set.Rows;
        Order = Enumerable.Range(0, set.Rows).ToArray();
        if (!set.HasGroups)
        {
            _batch = Math.Min(batchSize, set.Rows);
            StepsPerEpoch = (set.Rows + _batch - 1) / _batch;
            Capacity = _batch;
            return;
        }
        _groups = Enumerable.Range(0, set.Rows).GroupBy(set.Group).Select(g => g.ToArray()).ToArray();
        double meanSize = set.Rows / (double)_groups.Length;
        _groupsPerBatch = Math.Clamp((int)Math.Round(batchSize / meanSize), 1, _groups.Length);
        StepsPerEpoch = (_groups.Length + _groupsPerBatch - 1) / _groupsPerBatch;
        Capacity = _groups.Select(g => g.Length).OrderDescending().Take(_groupsPerBatch).Sum();
        _segments = new (int, int)[StepsPerEpoch];
    }

    /// <summary>Rows of the set.</summary>
    public int Rows { get; }

    /// <summary>Steps (batches) per epoch.</summary>
    public int StepsPerEpoch { get; }

    /// <summary>The most rows a batch holds.</summary>
    public int Capacity { get; }

    /// <summary>The rows in this epoch's order; batch <c>i</c> is <see cref="Segment"/>(i) of it.</summary>
    public int[] Order { get; }

    private readonly (int Start, int Count)[]? _segments;

    /// <summary>Shuffles the rows (or the groups) for a new epoch.</summary>
    public void Shuffle(Random rng)
    {
        if (_groups is null)
        {
            Shuffle(Order, rng);
            return;
        }
        var groupOrder = Enumerable.Range(0, _groups.Length).ToArray();
        Shuffle(groupOrder, rng);
        int at = 0;
        for (int b = 0; b < StepsPerEpoch; b++)
        {
            int start = at;
            for (int g = b * _groupsPerBatch; g < Math.Min(_groups.Length, (b + 1) * _groupsPerBatch); g++)
                foreach (var r in _groups[groupOrder[g]]) Order[at++] = r;
            _segments![b] = (start, at - start);
        }
    }

    /// <summary>Where batch <paramref name="step"/> of the epoch lies in <see cref="Order"/>.</summary>
    public (int Start, int Count) Segment(int step)
        => _segments is null ? (step * _batch, Math.Min(_batch, Rows - step * _batch)) : _segments[step];

    /// <summary>The rows of batch <paramref name="step"/> of the epoch.</summary>
    public ReadOnlySpan<int> Batch(int step)
    {
        var (start, count) = Segment(step);
        return Order.AsSpan(start, count);
    }

    private static void Shuffle(int[] a, Random rng)
    {
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }
}
