using System.Diagnostics;

namespace MLNet.Distillation.Progress;

/// <summary>
/// Counts the rows of one pass, stops it when a token is cancelled, and sends a <see cref="LoadingProgress"/> to its
/// listeners when the pass starts, every <see cref="Interval"/> while it runs and when it ends. Checking costs a counter
/// increment, a token read and a timestamp per row.
/// </summary>
internal sealed class ProgressMeter
{
    /// <summary>How often a running pass reports by default.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(1);

    private readonly LoadingStage _stage;
    private readonly long? _total;
    private readonly Action<LoadingProgress> _report;
    private readonly CancellationToken _token;
    private readonly long _intervalTicks;
    private readonly Stopwatch _watch = new();
    private long _rows;
    private long _nextReport;

    public ProgressMeter(LoadingStage stage, long? totalRows, Action<LoadingProgress> report, CancellationToken token, TimeSpan interval)
    {
        _stage = stage;
        _total = totalRows;
        _report = report;
        _token = token;
        _intervalTicks = (long)(interval.TotalSeconds * Stopwatch.Frequency);
        Interval = interval;
    }

    public TimeSpan Interval { get; }

    public long Rows => _rows;

    /// <summary>Starts the clock and reports zero rows; throws if the token is already cancelled.</summary>
    public void Start()
    {
        _token.ThrowIfCancellationRequested();
        _watch.Start();
        _nextReport = _intervalTicks;
        _report(Snapshot(finished: false));
    }

    /// <summary>Counts one row; throws <see cref="OperationCanceledException"/> once the token is cancelled.</summary>
    public void Row()
    {
        _rows++;
        _token.ThrowIfCancellationRequested();
        long now = _watch.ElapsedTicks;
        if (now < _nextReport) return;
        _nextReport = now + _intervalTicks;
        _report(Snapshot(finished: false));
    }

    /// <summary>Reports the final count.</summary>
    public void Finish()
    {
        _watch.Stop();
        _report(Snapshot(finished: true));
    }

    private LoadingProgress Snapshot(bool finished)
    {
        var elapsed = _watch.Elapsed;
        double rate = _rows > 0 && elapsed > TimeSpan.Zero ? _rows / elapsed.TotalSeconds : 0;
        TimeSpan? left = _total is long total && rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, total - _rows) / rate) : null;
        return new LoadingProgress
        {
            Stage = _stage, Rows = _rows, TotalRows = _total, Elapsed = elapsed, RowsPerSecond = rate,
            EstimatedRemaining = finished ? TimeSpan.Zero : left, IsFinished = finished,
        };
    }
}
