using MLNet.Distillation.Reporting;

namespace MLNet.Distillation.Tests.Reporting;

public class LatencyProbeTests
{
    [Fact]
    public void PercentilesUseTheNearestRank()
    {
        long[] sorted = Enumerable.Range(1, 20).Select(i => (long)i).ToArray();
        Assert.Equal(10, LatencyProbe.Percentile(sorted, 0.50));
        Assert.Equal(19, LatencyProbe.Percentile(sorted, 0.95));
        Assert.Equal(20, LatencyProbe.Percentile(sorted, 1.0));
    }

    [Fact]
    public void MeasureMakesTheWarmupAndTimedCallsAndScoresTheThroughputRowsInBatches()
    {
        var rows = new List<int>();
        var batches = new List<(int Start, int Count)>();
        var stats = LatencyProbe.Measure("test", rows.Add, (start, count) => { batches.Add((start, count)); return count; },
            batchSize: 8, warmup: 3, calls: 5, throughputRows: 20);
        Assert.Equal([0, 1, 2, 0, 1, 2, 3, 4], rows);
        Assert.Equal([(0, 8), (0, 8), (8, 8), (16, 4)], batches);   // one warm-up batch, then 20 rows
        Assert.Equal(20, stats.ThroughputRows);
        Assert.Equal(5, stats.SingleRowCalls);
        Assert.True(stats.P95Milliseconds >= stats.P50Milliseconds);
        Assert.True(stats.ThroughputRowsPerSecond > 0);
    }
}
