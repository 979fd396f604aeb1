using Microsoft.ML;
using MLNet.Distillation.Export;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Teachers;

/// <summary>A teacher or a cache path that cannot work fails at <c>Fit</c> of the Distill step, with the library's own words.</summary>
public class BadTeacherSetupTests
{
    /// <summary>A linear 13 → 3 teacher whose input and output have a fixed batch axis of <paramref name="batch"/>.</summary>
    private static byte[] FixedBatchTeacher(int batch)
    {
        var g = new OnnxGraphBuilder("fixed_batch_teacher");
        g.AddInput("x", OnnxElementType.Float, [batch, 13]);
        g.AddNode("Gemm", ["x", g.AddInitializer("w", new float[3 * 13], 3, 13), g.AddInitializer("b", [1f, 2f, 3f], 3)], "logits", ("transB", 1L));
        g.AddOutput("logits", OnnxElementType.Float, [batch, 3]);
        return g.ToBytes();
    }

    [Fact]
    public void AFixedBatchTeacherFailsAtFitNamingTheInputItsShapeAndTheReExport()
    {
        using var folder = new TempFolder();
        var path = folder.File("fixed-batch.onnx");
        File.WriteAllBytes(path, FixedBatchTeacher(8));
        var ml = new MLContext(seed: 1);
        var estimator = ml.Transforms.Distill("T", "Features", path);

        var e = Assert.Throws<ArgumentException>(() => estimator.Fit(Wine(ml)));
        Assert.Contains($"Teacher model '{path}' input 'x' [8, 13] has a fixed batch size of 8", e.Message);
        Assert.Contains("dynamic_axes={\"x\": {0: \"batch\"}}", e.Message);
    }

    [Fact]
    public void ACachePathInsideARegularFileFailsAtFitNamingThePathAndWhatToDo()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("not-a-folder"), "a file where the cache's folder should be");
        var cache = folder.File(Path.Combine("not-a-folder", "wine.idv"));
        var ml = new MLContext(seed: 1);
        var estimator = ml.Transforms.Distill("T", "Features", WineTeacher, cachePath: cache);

        var e = Assert.Throws<IOException>(() => estimator.Fit(Wine(ml)));
        Assert.Contains($"Cannot write '{cache}'", e.Message);
        Assert.Contains("Set DistillOptions.CachePath to a file in a folder this process can write to", e.Message);
        Assert.False(File.Exists(cache));
    }
}
