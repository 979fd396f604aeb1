using System.Diagnostics;

namespace MLNet.Distillation.Reporting;

/// <summary>Times single-row calls (percentiles) and batched calls (throughput) of a scoring function.</summary>
internal static class LatencyProbe
{
    /// <summary>
    /// Runs <paramref name="warmup"/> untimed then <paramref name="calls"/> timed calls of <paramref name="scoreRow"/>
    /// (argument: row number, cycling over the available rows), then scores <paramref name="throughputRows"/> rows through
    /// <paramref name="scoreBatch"/> (arguments: first row, row count; returns rows scored) and times the whole run.
    /// </summary>
    public static LatencyStats Measure(string runtime, Action<int> scoreRow, Func<int, int, int> scoreBatch, int batchSize,
        int warmup, int calls, int throughputRows)
    {
        for (int i = 0; i < warmup; i++) scoreRow(i);
        var ticks = new long[calls];
        for (int i = 0; i < calls; i++)
        {
            long start = Stopwatch.GetTimestamp();
            scoreRow(i);
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
        Array.Sort(ticks);

        scoreBatch(0, Math.Min(batchSize, throughputRows));  // warm-up at the batch size
        int scored = 0;
        long t0 = Stopwatch.GetTimestamp();
        while (scored < throughputRows) scored += scoreBatch(scored, Math.Min(batchSize, throughputRows - scored));
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;

        return new LatencyStats(runtime, Milliseconds(Percentile(ticks, 0.50)), Milliseconds(Percentile(ticks, 0.95)),
            scored / Math.Max(seconds, 1e-9), batchSize, calls, scored);
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static long Percentile(long[] sorted, double p)
    {
        if (sorted.Length == 0) throw new ArgumentException("No timed calls.", nameof(sorted));
        int rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
