using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Progress;

namespace MLNet.Distillation.Training;

/// <summary>
/// One pass over a data view read a window at a time (streaming training): <see cref="TrainingSet.Load"/> given a window
/// reads at most <see cref="Limit"/> rows from the window's cursor — opened on the first read, with the columns the set
/// needs, in the order <see cref="Shuffle"/> asks the source for, and kept open for the next window — numbers them from
/// <see cref="RowsRead"/> in its messages, reports them to <see cref="Meter"/>, and standardises regression targets
/// with <see cref="Scaling"/> (null: not at all) instead of the window's own statistics.
/// </summary>
internal sealed class RowWindow : IDisposable
{
    private DataViewRowCursor? _cursor;

    /// <param name="limit">The most rows one window holds.</param>
    /// <param name="shuffle">The source's own shuffling (<see cref="IDataView.CanShuffle"/>), or null for its stored order.</param>
    /// <param name="meter">Counts the rows read (the first pass); null: not counted.</param>
    /// <param name="scaling">Regression targets' standardisation; null: targets kept as read.</param>
    public RowWindow(int limit, Random? shuffle, ProgressMeter? meter, TargetScaling? scaling)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
        Shuffle = shuffle;
        Meter = meter;
        Scaling = scaling;
    }

    /// <summary>The most rows the next window holds.</summary>
    public int Limit { get; set; }
    public Random? Shuffle { get; }
    public ProgressMeter? Meter { get; }
    public TargetScaling? Scaling { get; }

    /// <summary>Rows read by the windows so far.</summary>
    public int RowsRead { get; private set; }

    /// <summary>Whether the cursor has ended: the last window held fewer than <see cref="Limit"/> rows.</summary>
    public bool Ended { get; private set; }

    /// <summary>The pass's cursor, opened on the first call with <paramref name="columns"/> (a teacher pass it sets off reports to the fit).</summary>
    public DataViewRowCursor Cursor(IDataView data, IEnumerable<DataViewSchema.Column> columns, StudentOptions o)
    {
        if (_cursor is not null) return _cursor;
        using (new FitObserver(o.CancellationToken, o.LoadingProgress, o.LoadingProgressInterval).Enter())
            _cursor = data.GetRowCursor(columns, Shuffle);
        return _cursor;
    }

    /// <summary>Records a window of <paramref name="rows"/> rows.</summary>
    public void Read(int rows)
    {
        if (RowsRead > int.MaxValue - rows)
            throw new InvalidOperationException($"Streaming training reads at most {int.MaxValue} rows per pass; split the data into several fits or sample it.");
        RowsRead += rows;
        Ended = rows < Limit;
    }

    public void Dispose() => _cursor?.Dispose();
}
