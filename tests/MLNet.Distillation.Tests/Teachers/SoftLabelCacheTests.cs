using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Samples;
using MLNet.Distillation.Students;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Teachers;

/// <summary>The soft-label cache: teacher once, many students; fingerprinted, verified row by row, written atomically.</summary>
public class SoftLabelCacheTests
{
    private static string CacheFile() => Path.Combine(TempDir(), "wine-teacher.idv");

    private static DistillOptions WineCache(string path, SoftLabelPrecision precision = SoftLabelPrecision.Float32) => new()
    {
        TeacherModelPath = WineTeacher, InputColumnName = "Features", OutputColumnName = "TeacherLogits", BatchSize = 32,
        CachePath = path, CachePrecision = precision,
    };

    [Fact]
    public void FirstPassRunsTheTeacherWritesTheCacheAndServesExactlyTheTeachersOutputs()
    {
        var ml = new MLContext(seed: 1);
        var path = CacheFile();
        var cached = ml.Transforms.Distill(WineCache(path)).Fit(Wine(ml));
        var served = ReadVectors(cached.Transform(Wine(ml)), "TeacherLogits");

        Assert.True(File.Exists(path));
        Assert.Equal(178, cached.RowsScored);
        var direct = ReadVectors(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher).Fit(Wine(ml)).Transform(Wine(ml)), "TeacherLogits");
        Assert.Equal(direct, served);
    }

    [Fact]
    public void LaterPassesOfTheSameTransformerReadTheCache()
    {
        var ml = new MLContext(seed: 1);
        var cached = ml.Transforms.Distill(WineCache(CacheFile())).Fit(Wine(ml));
        var first = ReadVectors(cached.Transform(Wine(ml)), "TeacherLogits");
        long calls = cached.TeacherCalls;
        var second = ReadVectors(cached.Transform(Wine(ml)), "TeacherLogits");
        Assert.Equal(first, second);
        Assert.Equal(calls, cached.TeacherCalls);
    }

    private static IEstimator<ITransformer> WinePipeline(MLContext ml, string cachePath) => WineLabelToKey(ml)
        .Append(ml.Transforms.Distill(WineCache(cachePath)))
        .Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
        {
            TeacherColumnName = "TeacherLogits", HiddenLayers = [16], Epochs = 30, BatchSize = 32, LearningRate = 0.01, Seed = 7,
        }));

    [Fact]
    public void ASecondStudentFitInAFreshContextRunsWithoutTheTeacher()
    {
        var path = CacheFile();
        var first = new MLContext(seed: 1);
        var firstModel = WinePipeline(first, path).Fit(WineSplit(first, "train"));
        Assert.True(((IEnumerable<ITransformer>)firstModel).OfType<DistillTransformer>().Single().TeacherCalls > 0);

        var second = new MLContext(seed: 2);
        var secondModel = WinePipeline(second, path).Fit(WineSplit(second, "train"));
        var teacher = ((IEnumerable<ITransformer>)secondModel).OfType<DistillTransformer>().Single();

        Assert.Equal(0, teacher.TeacherCalls);
        Assert.Equal(0, teacher.RowsScored);
        Assert.True(second.MulticlassClassification.Evaluate(secondModel.Transform(WineSplit(second, "test"))).MicroAccuracy > 0.85);
    }

    [Fact]
    public void ManyStudentsTrainOnOneCachedViewWithoutTheTeacher()
    {
        var path = CacheFile();
        var ml = new MLContext(seed: 1);
        var train = WineSplit(ml, "train");
        WineLabelToKey(ml).Append(ml.Transforms.Distill(WineCache(path))).Fit(train).Transform(train).Preview(maxRows: 200);

        var fresh = new MLContext(seed: 1);
        var prepared = WineLabelToKey(fresh).Append(fresh.Transforms.Distill(WineCache(path))).Fit(WineSplit(fresh, "train"));
        var data = prepared.Transform(WineSplit(fresh, "train"));
        foreach (var hidden in new[] { 8, 16, 32 })
            fresh.MulticlassClassification.Trainers.Student(new StudentOptions { TeacherColumnName = "TeacherLogits", HiddenLayers = [hidden], Epochs = 3 }).Fit(data);
        Assert.Equal(0, ((IEnumerable<ITransformer>)prepared).OfType<DistillTransformer>().Single().TeacherCalls);
    }

    public sealed class WithTeacherLogits
    {
        public string Label { get; set; } = "";
        public float[] Features { get; set; } = [];
        public float[] TeacherLogits { get; set; } = [];
    }

    [Fact]
    public void PassThroughColumnsComeFromTheDataUnchanged()
    {
        var ml = new MLContext(seed: 1);
        var path = CacheFile();
        var t = ml.Transforms.Distill(WineCache(path)).Fit(Wine(ml));
        _ = ReadVectors(t.Transform(Wine(ml)), "TeacherLogits");
        var fromCache = ml.Data.CreateEnumerable<WithTeacherLogits>(t.Transform(Wine(ml)), reuseRowObject: false).ToArray();
        var fromData = ml.Data.CreateEnumerable<WineRow>(Wine(ml), reuseRowObject: false).ToArray();
        Assert.Equal(fromData.Select(r => r.Label), fromCache.Select(r => r.Label));
        Assert.Equal(fromData.Select(r => r.Features), fromCache.Select(r => r.Features));
    }

    [Fact]
    public void ACachedViewDoesNotShuffle()
    {
        var ml = new MLContext(seed: 1);
        var t = ml.Transforms.Distill(WineCache(CacheFile())).Fit(Wine(ml));
        Assert.False(t.Transform(Wine(ml)).CanShuffle);
    }

    [Fact]
    public void ACacheWrittenForAnotherTeacherIsRefused()
    {
        var ml = new MLContext(seed: 1);
        var path = CacheFile();
        _ = ReadVectors(ml.Transforms.Distill(WineCache(path)).Fit(Wine(ml)).Transform(Wine(ml)), "TeacherLogits");

        var other = WineCache(path);
        other.TeacherModelPath = WineTeacherSoftmax;
        var e = Assert.Throws<InvalidDataException>(() => ReadVectors(ml.Transforms.Distill(other).Fit(Wine(ml)).Transform(Wine(ml)), "TeacherLogits"));
        Assert.Contains(path, e.Message);
        Assert.Contains("another teacher", e.Message);
        Assert.Contains("teacher model", e.Message);
        Assert.Contains("Delete the file", e.Message);
    }

    [Fact]
    public void ACacheWrittenWithOtherSettingsIsRefused()
    {
        var ml = new MLContext(seed: 1);
        var path = CacheFile();
        _ = ReadVectors(ml.Transforms.Distill(WineCache(path)).Fit(Wine(ml)).Transform(Wine(ml)), "TeacherLogits");

        var e = Assert.Throws<InvalidDataException>(() =>
            ReadVectors(ml.Transforms.Distill(WineCache(path, SoftLabelPrecision.Float16)).Fit(Wine(ml)).Transform(Wine(ml)), "TeacherLogits"));
        Assert.Contains("stored as Float32", e.Message);
        Assert.Contains("Float16", e.Message);
    }

    [Fact]
    public void ChangedDataIsRefusedNamingTheFirstChangedRow()
    {
        var ml = new MLContext(seed: 1);
        var path = CacheFile();
        var rows = ml.Data.CreateEnumerable<WineRow>(Wine(ml), reuseRowObject: false).ToArray();
        _ = ReadVectors(ml.Transforms.Distill(WineCache(path)).Fit(Wine(ml)).Transform(Wine(ml)), "TeacherLogits");

        rows[5].Features[3] += 1;
        var changed = ml.Data.LoadFromEnumerable(rows);
        var e = Assert.Throws<InvalidDataException>(() => ReadVectors(ml.Transforms.Distill(WineCache(path)).Fit(changed).Transform(changed), "TeacherLogits"));
        Assert.Contains("does not match the data", e.Message);
        Assert.Contains("row 5's teacher inputs", e.Message);
        Assert.Contains("'Features'", e.Message);
    }

    [Fact]
    public void DataWithMoreRowsThanTheCacheIsRefused()
    {
        var ml = new MLContext(seed: 1);
        var path = CacheFile();
        var head = ml.Data.TakeRows(Wine(ml), 100);
        _ = ReadVectors(ml.Transforms.Distill(WineCache(path)).Fit(head).Transform(head), "TeacherLogits");

        var e = Assert.Throws<InvalidDataException>(() => ReadVectors(ml.Transforms.Distill(WineCache(path)).Fit(Wine(ml)).Transform(Wine(ml)), "TeacherLogits"));
        Assert.Contains("more rows than the 100", e.Message);
    }

    [Fact]
    public void ACorruptedCacheIsRefused()
    {
        var ml = new MLContext(seed: 1);
        var path = CacheFile();
        _ = ReadVectors(ml.Transforms.Distill(WineCache(path)).Fit(Wine(ml)).Transform(Wine(ml)), "TeacherLogits");
        var bytes = File.ReadAllBytes(path);
        for (int i = bytes.Length / 3; i < bytes.Length / 3 + 64; i++) bytes[i] ^= 0x5A;
        File.WriteAllBytes(path, bytes);

        var e = Assert.ThrowsAny<InvalidDataException>(() => ReadVectors(ml.Transforms.Distill(WineCache(path)).Fit(Wine(ml)).Transform(Wine(ml)), "TeacherLogits"));
        Assert.Contains(path, e.Message);
        Assert.Contains("to run the teacher again", e.Message);
    }

    [Fact]
    public void ATruncatedCacheIsRefusedAsDamaged()
    {
        var ml = new MLContext(seed: 1);
        var path = CacheFile();
        _ = ReadVectors(ml.Transforms.Distill(WineCache(path)).Fit(Wine(ml)).Transform(Wine(ml)), "TeacherLogits");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<InvalidDataException>(() => ReadVectors(ml.Transforms.Distill(WineCache(path)).Fit(Wine(ml)).Transform(Wine(ml)), "TeacherLogits"));
        Assert.Contains("is damaged", e.Message);
    }

    [Fact]
    public void AFileThatIsNotACacheIsRefused()
    {
        var ml = new MLContext(seed: 1);
        var path = CacheFile();
        File.WriteAllText(path, "not a cache");
        var e = Assert.Throws<InvalidDataException>(() => ReadVectors(ml.Transforms.Distill(WineCache(path)).Fit(Wine(ml)).Transform(Wine(ml)), "TeacherLogits"));
        Assert.Contains(path, e.Message);
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
    public void AFailedFirstPassLeavesNoCacheFileBehind()
    {
        var ml = new MLContext(seed: 1);
        var path = CacheFile();
        int seen = 0;
        var failing = ml.Transforms.CustomMapping<FeaturesIn, CheckedOut>((i, o) =>
        {
            if (++seen == 150) throw new InvalidOperationException("upstream failure");
            o.Checked = i.Features;
        }, contractName: null).Fit(Wine(ml)).Transform(Wine(ml));
        var options = WineCache(path);
        options.InputColumnName = "Checked";

        Assert.ThrowsAny<Exception>(() => ReadVectors(ml.Transforms.Distill(options).Fit(failing).Transform(failing), "TeacherLogits"));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void Float16CacheIsSmallerAndCloseToTheTeacher()
    {
        var ml = new MLContext(seed: 1);
        string exact = CacheFile(), half = CacheFile();
        var a = ReadVectors(ml.Transforms.Distill(WineCache(exact)).Fit(Wine(ml)).Transform(Wine(ml)), "TeacherLogits");
        var t = ml.Transforms.Distill(WineCache(half, SoftLabelPrecision.Float16)).Fit(Wine(ml));
        _ = ReadVectors(t.Transform(Wine(ml)), "TeacherLogits");
        var b = ReadVectors(t.Transform(Wine(ml)), "TeacherLogits");

        Assert.True(new FileInfo(half).Length < new FileInfo(exact).Length, $"{new FileInfo(half).Length} vs {new FileInfo(exact).Length} bytes");
        for (int i = 0; i < a.Length; i++)
            for (int k = 0; k < 3; k++)
                Assert.True(Math.Abs(a[i][k] - b[i][k]) <= 1e-3 * Math.Max(1, Math.Abs(a[i][k])), $"row {i}: {a[i][k]} vs {b[i][k]}");
        Assert.Contains(a.Zip(b), p => !p.First.SequenceEqual(p.Second));
    }

    [Fact]
    public void TopKCacheKeepsTheLargestProbabilitiesAndSpreadsTheRestEvenly()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(FashionMnist.Load(Path.GetDirectoryName(FashionTeacher)!, "t10k").Take(64));
        var logits = ReadVectors(ml.Transforms.Distill("T", "Features", FashionTeacher).Fit(data).Transform(data), "T");
        var topK = ml.Transforms.Distill(new DistillOptions
        {
            TeacherModelPath = FashionTeacher, OutputColumnName = "T", CachePath = Path.Combine(TempDir(), "fashion-top3.idv"), CacheTopK = 3,
        }).Fit(data);
        var output = topK.Transform(data);
        var served = ReadVectors(output, "T");

        Assert.Equal(TeacherOutputKind.Probabilities, topK.OutputKinds[0]);
        for (int r = 0; r < served.Length; r++)
        {
            double max = logits[r].Max();
            var p = logits[r].Select(z => Math.Exp(z - max)).ToArray();
            p = p.Select(v => v / p.Sum()).ToArray();
            var top = Enumerable.Range(0, 10).OrderByDescending(k => p[k]).Take(3).ToHashSet();
            double tail = Enumerable.Range(0, 10).Where(k => !top.Contains(k)).Sum(k => p[k]) / 7;
            for (int k = 0; k < 10; k++)
                Assert.Equal(top.Contains(k) ? p[k] : tail, served[r][k], 1e-6);
            Assert.Equal(1.0, served[r].Sum(v => (double)v), 1e-5);
        }
    }

    [Fact]
    public void TopKMustBeBelowTheNumberOfClasses()
    {
        var ml = new MLContext(seed: 1);
        var options = WineCache(CacheFile());
        options.CacheTopK = 3;
        var e = Assert.Throws<ArgumentException>(() => ml.Transforms.Distill(options).Fit(Wine(ml)));
        Assert.Contains("CacheTopK", e.Message);
        Assert.Contains("3 values per row", e.Message);
    }

    [Fact]
    public void CacheSettingsWithoutACachePathAreRejected()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.Throws<ArgumentException>(() => ml.Transforms.Distill(new DistillOptions { TeacherModelPath = WineTeacher, CacheTopK = 2 }));
        Assert.Contains("CachePath", e.Message);
    }

    [Fact]
    public void ATwoInputTeacherIsCachedAndCheckedOnBothInputs()
    {
        var ml = new MLContext(seed: 1);
        var path = CacheFile();
        var rows = Enumerable.Range(0, 40).Select(i => new AnyTeacherTests.TokenRow
        {
            TokenIds = Enumerable.Range(0, 6).Select(p => (long)((i * 7 + p * 3) % 50)).ToArray(),
            Mask = Enumerable.Range(0, 6).Select(p => p <= i % 6 ? 1L : 0L).ToArray(),
        }).ToArray();
        DistillOptions Options() => new()
        {
            TeacherModelPath = Fixture("two_input_teacher.onnx"), InputColumns = { ["input_ids"] = "TokenIds", ["attention_mask"] = "Mask" },
            OutputColumnName = "T", CachePath = path,
        };
        var data = ml.Data.LoadFromEnumerable(rows);
        var direct = ReadVectors(ml.Transforms.Distill(Options()).Fit(data).Transform(data), "T");
        var reread = ml.Transforms.Distill(Options()).Fit(data);
        Assert.Equal(direct, ReadVectors(reread.Transform(data), "T"));
        Assert.Equal(0, reread.TeacherCalls);

        rows[7].Mask[5] = 1 - rows[7].Mask[5];
        var changed = ml.Data.LoadFromEnumerable(rows);
        var e = Assert.Throws<InvalidDataException>(() => ReadVectors(ml.Transforms.Distill(Options()).Fit(changed).Transform(changed), "T"));
        Assert.Contains("row 7's teacher inputs", e.Message);
        Assert.Contains("'Mask'", e.Message);
    }
}
