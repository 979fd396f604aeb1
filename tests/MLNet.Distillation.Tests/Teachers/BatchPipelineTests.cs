using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Teachers;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Teachers;

/// <summary>The overlapped teacher pass: bounded read-ahead, row order with concurrent batches, early disposal, errors from the worker threads.</summary>
public class BatchPipelineTests
{
    private readonly MLContext _ml = new(seed: 1);

    [Fact]
    public void ReadingOneRowScoresAtMostTheBatchesInFlight()
    {
        var data = Wine(_ml);
        var transformer = _ml.Transforms.Distill("T", "Features", WineTeacher, batchSize: 10).Fit(data);
        var output = transformer.Transform(data);
        using (var cursor = output.GetRowCursor([output.Schema["T"]]))
        {
            Assert.True(cursor.MoveNext());
            VBuffer<float> v = default;
            cursor.GetGetter<VBuffer<float>>(output.Schema["T"])(ref v);
        }
        // Read-ahead is bounded by the batch slots in flight (one per worker, one scored and waiting, one served), not by
        // the data set (178 rows).
        Assert.InRange(transformer.RowsScored, 10, (transformer.ConcurrentBatches + 2) * 10);
    }

    [Fact]
    public void CursorDisposedEarlyLeavesTheTransformerUsable()
    {
        var data = Wine(_ml);
        var transformer = _ml.Transforms.Distill("T", "Features", WineTeacher, batchSize: 8).Fit(data);
        var output = transformer.Transform(data);
        for (int i = 0; i < 5; i++)
        {
            using var cursor = output.GetRowCursor([output.Schema["T"]]);
            for (int r = 0; r < 20 && cursor.MoveNext(); r++) { }
        }
        Assert.Equal(178, ReadVectors(output, "T").Length);
    }

    [Fact]
    public void MoveNextAfterTheEndKeepsReturningFalse()
    {
        var data = Wine(_ml);
        var output = _ml.Transforms.Distill("T", "Features", WineTeacher, batchSize: 100).Fit(data).Transform(data);
        using var cursor = output.GetRowCursor([output.Schema["T"]]);
        int rows = 0;
        while (cursor.MoveNext()) rows++;
        Assert.Equal(178, rows);
        Assert.False(cursor.MoveNext());
        Assert.Equal(177, cursor.Position);
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(4, 3)]
    [InlineData(3, 1)]     // 178 one-row batches: many hand-overs
    [InlineData(5, 13)]    // a short last batch
    [InlineData(2, 178)]   // exactly one batch: one worker finds the cursor exhausted
    [InlineData(2, 500)]   // one short batch
    public void RowsKeepTheirOrderWhateverTheNumberOfConcurrentBatches(int concurrent, int batchSize)
    {
        var data = Wine(_ml);
        var reference = ReadVectors(_ml.Transforms.Distill("T", "Features", WineTeacher, batchSize: 178).Fit(data).Transform(data), "T");
        using var transformer = _ml.Transforms.Distill(new DistillOptions
        {
            TeacherModelPath = WineTeacher, InputColumnName = "Features", OutputColumnName = "T", BatchSize = batchSize, ConcurrentBatches = concurrent,
        }).Fit(data);
        Assert.Equal(concurrent, transformer.ConcurrentBatches);
        for (int pass = 0; pass < 3; pass++)
        {
            var rows = ReadVectors(transformer.Transform(data), "T");
            Assert.Equal(reference.Length, rows.Length);
            // Row i holds row i's outputs (a mix-up would differ by whole logits; batch sizes may change the last bits).
            for (int i = 0; i < rows.Length; i++)
                for (int j = 0; j < rows[i].Length; j++) Assert.Equal(reference[i][j], rows[i][j], 1e-4f);
        }
        Assert.Equal((178 + batchSize - 1) / batchSize * 3, transformer.TeacherCalls);
        Assert.Equal(178 * 3, transformer.RowsScored);
    }

    [Fact]
    public void ConcurrentBatchesDefaultToOnePerCoreOnTheCpuToTwoOnAGpuAndToOneWhenThreadsAreSet()
    {
        var data = Wine(_ml);
        using var byDefault = _ml.Transforms.Distill("T", "Features", WineTeacher).Fit(data);
        Assert.Equal(Environment.ProcessorCount, byDefault.ConcurrentBatches);
        using var threads = _ml.Transforms.Distill(new DistillOptions { TeacherModelPath = WineTeacher, IntraOpNumThreads = 2 }).Fit(data);
        Assert.Equal(1, threads.ConcurrentBatches);
        // On a GPU (or a GPU that fell back to the CPU): two workers, one reading while the other waits for the device.
        using var gpu = _ml.Transforms.Distill(new DistillOptions { TeacherModelPath = WineTeacher, GpuDeviceId = 0 }).Fit(data);
        Assert.Equal(2, gpu.ConcurrentBatches);
    }

    [Theory]
    [InlineData(0, null, "ConcurrentBatches")]
    [InlineData(null, 0, "IntraOpNumThreads")]
    public void NonPositiveThreadSettingsAreRefusedByName(int? concurrent, int? threads, string name)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _ml.Transforms.Distill(new DistillOptions
        {
            TeacherModelPath = WineTeacher, ConcurrentBatches = concurrent, IntraOpNumThreads = threads,
        }));
        Assert.Contains($"DistillOptions.{name}", e.Message);
    }

    [Fact]
    public void RowIdsFollowTheUpstreamRows()
    {
        var data = Wine(_ml);
        var output = _ml.Transforms.Distill(new DistillOptions
        {
            TeacherModelPath = WineTeacher, InputColumnName = "Features", OutputColumnName = "T", BatchSize = 7, ConcurrentBatches = 3,
        }).Fit(data).Transform(data);
        var expected = new List<DataViewRowId>();
        using (var c = data.GetRowCursor([]))
        {
            var id = c.GetIdGetter();
            DataViewRowId v = default;
            while (c.MoveNext()) { id(ref v); expected.Add(v); }
        }
        var actual = new List<DataViewRowId>();
        using (var c = output.GetRowCursor([output.Schema["T"]]))
        {
            var id = c.GetIdGetter();
            DataViewRowId v = default;
            while (c.MoveNext()) { id(ref v); actual.Add(v); }
        }
        Assert.Equal(expected, actual);
    }

    public sealed class FeaturesIn
    {
        [VectorType(13)] public float[] Features { get; set; } = [];
    }

    public sealed class CheckedOut
    {
        [VectorType(13)] public float[] Checked { get; set; } = [];
    }

    [Fact]
    public void AnUpstreamErrorOnAWorkerThreadReachesTheConsumer()
    {
        int seen = 0;
        var failing = _ml.Transforms.CustomMapping<FeaturesIn, CheckedOut>((i, o) =>
        {
            // Atomic, and every row from the 100th on fails: ML.NET may call the mapping from more than one thread.
            if (Interlocked.Increment(ref seen) >= 100) throw new InvalidDataException("bad row 100 upstream");
            o.Checked = i.Features;
        }, contractName: null);
        var data = failing.Fit(Wine(_ml)).Transform(Wine(_ml));
        var output = _ml.Transforms.Distill("T", "Checked", WineTeacher, batchSize: 16).Fit(data).Transform(data);
        var e = Assert.ThrowsAny<Exception>(() => ReadVectors(output, "T"));
        // ML.NET may wrap the mapping's exception (its own cursor set); the original must be in the chain.
        Assert.Contains(Chain(e), x => x is InvalidDataException && x.Message == "bad row 100 upstream");
    }

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException) yield return e;
    }
}
