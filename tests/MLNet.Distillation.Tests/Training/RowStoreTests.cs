using MLNet.Distillation.Training;

namespace MLNet.Distillation.Tests.Training;

/// <summary>The chunked row store the training rows are read into: exact size when the row count is known, at most one partly filled chunk otherwise.</summary>
public class RowStoreTests
{
    private static void Fill(RowStore<float> store, int rows)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = store.Append();
            for (int j = 0; j < row.Length; j++) row[j] = r + j / 1000f;
        }
    }

    [Fact]
    public void AKnownRowCountAllocatesExactlyTheRowsAcrossSeveralChunks()
    {
        const int width = 784, rows = 12_000;   // 16 MiB chunks hold 5,349 such rows: three chunks
        var store = new RowStore<float>(width, rows);
        Fill(store, rows);
        Assert.Equal((long)rows * width * sizeof(float), store.AllocatedBytes);
        Assert.Equal(3, store.Chunks().Count());
        Assert.Equal(rows, store.Count);
    }

    [Fact]
    public void AnUnknownRowCountWastesAtMostOnePartlyFilledChunkAndKeepsEveryValue()
    {
        const int width = 784, rows = 12_345;
        var store = new RowStore<float>(width, null);
        Fill(store, rows);
        long data = (long)rows * width * sizeof(float);
        Assert.InRange(store.AllocatedBytes, data, data + RowStore<float>.ChunkBytes);
        foreach (int r in new[] { 0, 1, 1023, 1024, 5348, 5349, 12_344 })
        {
            Assert.Equal(r, store[r][0]);
            Assert.Equal(r + 783 / 1000f, store[r][783]);
        }
        Assert.Equal(data, store.Chunks().Sum(c => (long)c.Length) * sizeof(float));
    }

    [Fact]
    public void MoreRowsThanAnnouncedStillFit()
    {
        var store = new RowStore<float>(3, 10);
        Fill(store, 5_000);
        Assert.Equal(5_000, store.Count);
        Assert.Equal(4_999, store[4_999][0]);
    }

    [Fact]
    public void GatherCopiesTheRowsInTheOrderAsked()
    {
        var store = new RowStore<float>(2, null);
        Fill(store, 100);
        var destination = new float[6];
        store.Gather([42, 7, 99], destination);
        Assert.Equal([42f, 42.001f, 7f, 7.001f, 99f, 99.001f], destination);
    }

    [Fact]
    public void ARowOutsideTheStoreIsRefused()
    {
        var store = new RowStore<int>(1, null);
        store.Append()[0] = 5;
        Assert.Throws<ArgumentOutOfRangeException>(() => store[1].ToArray());
    }
}
