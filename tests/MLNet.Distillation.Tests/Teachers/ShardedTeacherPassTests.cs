using Microsoft.ML;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Teachers;

/// <summary>The sharded teacher pass: shard i of n labels the rows whose number mod n is i; the merged caches are the whole pass's cache.</summary>
public class ShardedTeacherPassTests
{
    private static DistillOptions Wine(string cachePath, TeacherShard? shard = null, int concurrentBatches = 2, SoftLabelPrecision precision = SoftLabelPrecision.Float32) => new()
    {
        TeacherModelPath = WineTeacher, InputColumnName = "Features", OutputColumnName = "TeacherLogits", BatchSize = 16,
        ConcurrentBatches = concurrentBatches, CachePath = cachePath, Shard = shard, CachePrecision = precision,
    };

    private static (string[] Paths, long[] Scored) WriteShards(MLContext ml, TempFolder folder, int count, IDataView? data = null, int concurrentBatches = 2)
    {
        data ??= TestData.Wine(ml);
        var paths = new string[count];
        var scored = new long[count];
        for (int i = 0; i < count; i++)
        {
            paths[i] = folder.File($"wine.shard{i}of{count}.idv");
            using var shard = ml.Transforms.Distill(Wine(paths[i], new TeacherShard(i, count), concurrentBatches)).Fit(data);
            Assert.Equal(new TeacherShard(i, count).RowsOf(178), shard.WriteCache(data));
            scored[i] = shard.RowsScored;
        }
        return (paths, scored);
    }

    /// <summary>A cache's rows: the input hashes (exact) and the first output (ONNX Runtime may round the last bit differently in another batch).</summary>
    private static (ulong[] InputHashes, float[][] Outputs) ReadCache(MLContext ml, string path)
    {
        var data = ml.Data.LoadFromBinary(path);
        var hashes = new List<ulong>();
        using (var cursor = data.GetRowCursor([data.Schema["RowInputHash"]]))
        {
            var getter = cursor.GetGetter<ulong>(data.Schema["RowInputHash"]);
            ulong h = 0;
            while (cursor.MoveNext()) { getter(ref h); hashes.Add(h); }
        }
        return (hashes.ToArray(), ReadVectors(data, "TeacherLogits"));
    }

    private static void AssertSameCache(MLContext ml, string expected, string actual)
    {
        var (expectedHashes, expectedOutputs) = ReadCache(ml, expected);
        var (actualHashes, actualOutputs) = ReadCache(ml, actual);
        Assert.Equal(expectedHashes, actualHashes);
        Assert.Equal(expectedOutputs.Length, actualOutputs.Length);
        for (int r = 0; r < expectedOutputs.Length; r++)
            for (int k = 0; k < expectedOutputs[r].Length; k++) Assert.Equal(expectedOutputs[r][k], actualOutputs[r][k], 1e-5f);
    }

    [Fact]
    public void EachShardScoresOnlyItsRowsAndTheMergedCacheIsTheWholePasssCache()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var (shards, scored) = WriteShards(ml, folder, 3);
        Assert.Equal([60L, 59L, 59L], scored);

        var merged = folder.File("wine.merged.idv");
        Assert.Equal(178, ml.Data.MergeSoftLabelShards(shards.Reverse(), merged));

        var whole = folder.File("wine.whole.idv");
        using (var unsharded = ml.Transforms.Distill(Wine(whole)).Fit(TestData.Wine(ml)))
            Assert.Equal(178, unsharded.WriteCache(TestData.Wine(ml)));
        AssertSameCache(ml, whole, merged);
        // The whole pass's fingerprint: an unsharded Distill step reads the merged file as its own cache.
        var wholeData = ml.Data.LoadFromBinary(whole);
        var mergedData = ml.Data.LoadFromBinary(merged);
        Assert.Equal(FingerprintOf(wholeData), FingerprintOf(mergedData));
        Assert.DoesNotContain("shard", FingerprintOf(mergedData));
        Assert.Contains("shard: 2/3", FingerprintOf(ml.Data.LoadFromBinary(shards[2])));
    }

    [Fact]
    public void TheMergedCacheServesTheTeachersOutputsInRowOrderWithoutRunningTheTeacher()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var (shards, _) = WriteShards(ml, folder, 2);
        var merged = folder.File("wine.merged.idv");
        ml.Data.MergeSoftLabelShards(shards, merged);

        using var reader = ml.Transforms.Distill(Wine(merged)).Fit(TestData.Wine(ml));
        var served = ReadVectors(reader.Transform(TestData.Wine(ml)), "TeacherLogits");
        using var direct = ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher).Fit(TestData.Wine(ml));
        Assert.Equal(ReadVectors(direct.Transform(TestData.Wine(ml)), "TeacherLogits"), served);
        Assert.Equal(0, reader.TeacherCalls);
    }

    [Fact]
    public void AShardsRowsDependOnTheRowNumbersNotOnHowManyBatchesRunAtOnce()
    {
        using var one = new TempFolder();
        using var four = new TempFolder();
        var ml = new MLContext(seed: 1);
        var (serial, _) = WriteShards(ml, one, 2, concurrentBatches: 1);
        var (parallel, _) = WriteShards(ml, four, 2, concurrentBatches: 4);
        for (int i = 0; i < 2; i++) AssertSameCache(ml, serial[i], parallel[i]);
        // Shard 1 holds rows 1, 3, 5 … of the whole pass.
        var whole = one.File("whole.idv");
        using (var t = ml.Transforms.Distill(Wine(whole)).Fit(TestData.Wine(ml))) t.WriteCache(TestData.Wine(ml));
        var wholeHashes = ReadCache(ml, whole).InputHashes;
        Assert.Equal(wholeHashes.Where((_, r) => r % 2 == 1), ReadCache(ml, serial[1]).InputHashes);
    }

    private static string FingerprintOf(IDataView cache)
    {
        ReadOnlyMemory<char> text = default;
        cache.Schema["RowInputHash"].Annotations.GetValue("MLNet.Distillation.CacheFingerprint", ref text);
        return text.ToString();
    }

    [Fact]
    public void AStudentTrainedOnTheMergedShardsEqualsOneTrainedOnTheUnshardedCache()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var (shards, _) = WriteShards(ml, folder, 2);
        var merged = folder.File("wine.merged.idv");
        ml.Data.MergeSoftLabelShards(shards, merged);

        float[][] Fit(string cachePath)
        {
            var context = new MLContext(seed: 1);
            var model = WineLabelToKey(context).Append(context.Transforms.Distill(Wine(cachePath)))
                .Append(context.MulticlassClassification.Trainers.Student(new StudentOptions
                {
                    TeacherColumnName = "TeacherLogits", HiddenLayers = [8], Epochs = 5, BatchSize = 32, Seed = 3,
                })).Fit(TestData.Wine(context));
            return ReadVectors(model.Transform(TestData.Wine(context)), "Score");
        }
        var whole = Fit(folder.File("wine.whole.idv"));
        var fromShards = Fit(merged);
        for (int r = 0; r < whole.Length; r++)
            for (int k = 0; k < whole[r].Length; k++) Assert.Equal(whole[r][k], fromShards[r][k], 1e-4f);
    }

    [Theory]
    [InlineData(2, 2, "index must be in 0..1")]
    [InlineData(-1, 2, "index must be in 0..1")]
    [InlineData(0, 0, "count must be at least 1")]
    public void AnInvalidShardIsRefusedWithItsNumbers(int index, int count, string message)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TeacherShard(index, count));
        Assert.Contains(message, e.Message);
        Assert.Contains($"{index}/{count}", e.Message);
    }

    [Theory]
    [InlineData("1 of 2")]
    [InlineData("1/")]
    [InlineData("-1/2")]
    [InlineData("1/2/3")]
    public void ShardTextThatIsNotIOverNIsRefused(string text)
    {
        var e = Assert.Throws<FormatException>(() => TeacherShard.Parse(text));
        Assert.Contains($"'{text}'", e.Message);
    }

    [Fact]
    public void ShardTextParsesAndPrintsAsIOverN()
    {
        Assert.Equal(new TeacherShard(1, 4), TeacherShard.Parse(" 1/4"));
        Assert.Equal("1/4", TeacherShard.Parse("1/4").ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => TeacherShard.Parse("4/4"));
    }

    [Fact]
    public void AShardWithoutACacheFileIsRefused()
    {
        var ml = new MLContext(seed: 1);
        var options = Wine("unused.idv", new TeacherShard(0, 2));
        options.CachePath = null;
        var e = Assert.Throws<ArgumentException>(() => ml.Transforms.Distill(options));
        Assert.Contains("DistillOptions.Shard is 0/2", e.Message);
        Assert.Contains("DistillOptions.CachePath", e.Message);
    }

    [Fact]
    public void AShardedStepDoesNotServeTeacherColumnsAndSaysHowToReadTheShards()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        using var shard = ml.Transforms.Distill(Wine(folder.File("s.idv"), new TeacherShard(1, 2))).Fit(TestData.Wine(ml));
        var e = Assert.Throws<InvalidOperationException>(() => ReadVectors(shard.Transform(TestData.Wine(ml)), "TeacherLogits"));
        Assert.Contains("shard 1/2", e.Message);
        Assert.Contains("MergeSoftLabelShards", e.Message);
        Assert.Equal(0, shard.RowsScored);
    }

    [Fact]
    public void AMissingOrRepeatedShardIsRefusedByNumber()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var (shards, _) = WriteShards(ml, folder, 3);
        var merged = folder.File("m.idv");
        var missing = Assert.Throws<ArgumentException>(() => ml.Data.MergeSoftLabelShards([shards[0], shards[2]], merged));
        Assert.Contains("shard 1/3 is not given", missing.Message);
        var twice = Assert.Throws<ArgumentException>(() => ml.Data.MergeSoftLabelShards([shards[0], shards[1], shards[1], shards[2]], merged));
        Assert.Contains("Shard 1/3 is given twice", twice.Message);
        var absent = Assert.Throws<FileNotFoundException>(() => ml.Data.MergeSoftLabelShards([shards[0], folder.File("nope.idv")], merged));
        Assert.Contains("nope.idv", absent.Message);
        Assert.False(File.Exists(merged));
    }

    [Fact]
    public void ShardsOfDifferentSplitsSettingsOrDataAreRefused()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var (halves, _) = WriteShards(ml, folder, 2);
        var third = folder.File("third.idv");
        using (var t = ml.Transforms.Distill(Wine(third, new TeacherShard(1, 3))).Fit(TestData.Wine(ml))) t.WriteCache(TestData.Wine(ml));
        var split = Assert.Throws<InvalidDataException>(() => ml.Data.MergeSoftLabelShards([halves[0], third], folder.File("m.idv")));
        Assert.Contains("different splits", split.Message);

        var half16 = folder.File("half16.idv");
        using (var t = ml.Transforms.Distill(Wine(half16, new TeacherShard(1, 2), precision: SoftLabelPrecision.Float16)).Fit(TestData.Wine(ml))) t.WriteCache(TestData.Wine(ml));
        var settings = Assert.Throws<InvalidDataException>(() => ml.Data.MergeSoftLabelShards([halves[0], half16], folder.File("m.idv")));
        Assert.Contains("other settings", settings.Message);
        Assert.Contains("Float16", settings.Message);

        var fewer = folder.File("fewer.idv");
        var subset = ml.Data.TakeRows(TestData.Wine(ml), 100);
        using (var t = ml.Transforms.Distill(Wine(fewer, new TeacherShard(1, 2))).Fit(subset)) t.WriteCache(subset);
        var data = Assert.Throws<InvalidDataException>(() => ml.Data.MergeSoftLabelShards([halves[0], fewer], folder.File("m.idv")));
        Assert.Contains("different data", data.Message);
        Assert.Contains("fewer.idv", data.Message);

        var whole = folder.File("whole.idv");
        using (var t = ml.Transforms.Distill(Wine(whole)).Fit(TestData.Wine(ml))) t.WriteCache(TestData.Wine(ml));
        var notShard = Assert.Throws<InvalidDataException>(() => ml.Data.MergeSoftLabelShards([halves[0], whole], folder.File("m.idv")));
        Assert.Contains("not a shard", notShard.Message);
        Assert.False(File.Exists(folder.File("m.idv")));
    }

    [Fact]
    public void AnExistingShardCacheIsCheckedNotRewritten()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var (shards, _) = WriteShards(ml, folder, 2);
        var written = File.GetLastWriteTimeUtc(shards[0]);
        using var again = ml.Transforms.Distill(Wine(shards[0], new TeacherShard(0, 2))).Fit(TestData.Wine(ml));
        Assert.Equal(89, again.WriteCache(TestData.Wine(ml)));
        Assert.Equal(0, again.RowsScored);
        Assert.Equal(written, File.GetLastWriteTimeUtc(shards[0]));
        using var otherShard = ml.Transforms.Distill(Wine(shards[0], new TeacherShard(1, 2))).Fit(TestData.Wine(ml));
        var e = Assert.Throws<InvalidDataException>(() => otherShard.WriteCache(TestData.Wine(ml)));
        Assert.Contains("shard: the cache has 0/2", e.Message);
    }
}
