using Microsoft.ML;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.StudentBodies;

/// <summary>The CNN student's options, shapes, parameter count and training with the transfer set's image augmentations.</summary>
public class CnnStudentTests
{
    [Fact]
    public void AFeatureColumnOfTheWrongWidthIsRefusedNamingTheColumnAndBothSizes()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(CnnTestData.Rows(64));
        var options = CnnTestData.Options();
        options.Channels = 3;
        var e = Assert.Throws<ArgumentException>(() => CnnTestData.Train(ml, data, options));
        Assert.Contains("'Features'", e.Message);
        Assert.Contains("784", e.Message);
        Assert.Contains("2352", e.Message);
        Assert.Contains("3×28×28", e.Message);
    }

    [Theory]
    [InlineData(0, 28, 28, 3, 1, "Channels, Height and Width must be positive")]
    [InlineData(1, 28, 28, 0, 1, "Blocks[0]")]
    [InlineData(1, 4, 4, 3, 8, "leaves no pixel of the 4×4 image")]
    public void BadOptionsAreRefusedByName(int channels, int height, int width, int kernel, int pool, string expected)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => StudentArchitecture.Cnn(new CnnOptions
        {
            Channels = channels, Height = height, Width = width, Blocks = [new ConvBlock(4, kernel, Pool: pool)],
        }));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void DropoutOutOfRangeAndNoBlocksAreRefused()
    {
        Assert.Contains("Dropout", Assert.ThrowsAny<ArgumentException>(() => StudentArchitecture.Cnn(new CnnOptions { Height = 8, Width = 8, Dropout = 1 })).Message);
        Assert.Contains("Blocks is empty", Assert.Throws<ArgumentException>(() => StudentArchitecture.Cnn(new CnnOptions { Height = 8, Width = 8, Blocks = [] })).Message);
    }

    [Fact]
    public void TheArchitectureCopiesItsOptions()
    {
        var options = CnnTestData.Options();
        var architecture = StudentArchitecture.Cnn(options);
        options.Blocks = [new ConvBlock(64)];
        options.Height = 3;
        Assert.Equal("cnn 1×28×28 [4c3-bn-p2, 6c5pad1-bn-p3]", architecture.Describe());
    }

    [Theory]
    [InlineData(true, CnnOutput.Flatten)]
    [InlineData(false, CnnOutput.GlobalAveragePool)]
    public void ShapesAndParameterCountsFollowTheBlocks(bool batchNorm, CnnOutput output)
    {
        var ml = new MLContext(seed: 1);
        using var model = CnnTestData.Train(ml, ml.Data.LoadFromEnumerable(CnnTestData.Rows(100)), CnnTestData.Options(batchNorm, output));
        var network = model.LastTransformer.Network;
        var body = Assert.IsType<CnnBody>(network.Body);
        // 28 → conv3 pad1: 28 → pool2: 14 → conv5 pad1: 12 → pool3: 4.
        Assert.Equal(output == CnnOutput.Flatten ? 6 * 4 * 4 : 6, body.OutputWidth);
        long convWeights = 4 * 1 * 9 + 6 * 4 * 25;
        Assert.Equal(convWeights + (batchNorm ? 2 : 1) * (4 + 6), body.ParameterCount);
        Assert.Equal(convWeights + 4 + 6, body.InferenceParameterCount);
        long dense = (body.OutputWidth * 12 + 12) + (12 * 10 + 10);
        Assert.Equal(body.ParameterCount + dense, network.ParameterCount);
        Assert.Equal($"{body.Describe()}-12-10", network.ToString());
        Assert.StartsWith("cnn 1×28×28 [4c3", body.Describe());
    }

    [Fact]
    public void MultiplyAddsPerRowCountTheConvolutionsBeforePooling()
    {
        // conv 1→4, 3×3 over 28×28 (padding 1), then conv 4→6, 5×5 over the pooled 14×14 with padding 1: 12×12 outputs.
        using var module = new CnnBodyModule(CnnTestData.Options().Clone(), 0f, 1f);
        Assert.Equal(4L * 1 * 9 * 28 * 28 + 6L * 4 * 25 * 12 * 12, module.MultiplyAddsPerRow);
    }

    [Fact]
    public void TheInputNormalisationIsThePooledMeanAndStandardDeviationOfAllPixels()
    {
        var rows = CnnTestData.Rows(200);
        var pixels = rows.SelectMany(r => r.Features).Select(v => (double)v).ToArray();
        double mean = pixels.Average(), std = Math.Sqrt(pixels.Select(v => (v - mean) * (v - mean)).Average());
        var ml = new MLContext(seed: 1);
        using var model = CnnTestData.Train(ml, ml.Data.LoadFromEnumerable(rows), CnnTestData.Options());
        var body = (CnnBody)model.LastTransformer.Network.Body!;
        Assert.Equal(mean, body.InputMean, 4);
        Assert.Equal(1 / std, body.InputScale, 3);

        var raw = CnnTestData.Options();
        raw.NormalizeInput = false;
        using var unnormalised = CnnTestData.Train(ml, ml.Data.LoadFromEnumerable(rows), raw);
        var rawBody = (CnnBody)unnormalised.LastTransformer.Network.Body!;
        Assert.Equal((0f, 1f), (rawBody.InputMean, rawBody.InputScale));
    }

    /// <summary>The image augmentations take the CNN's image shape when TransferSetOptions.ImageShape is not set.</summary>
    [Theory]
    [InlineData(TransferAugmentation.ShiftFlip | TransferAugmentation.CutMix)]
    [InlineData(TransferAugmentation.Mixup | TransferAugmentation.GaussianNoise | TransferAugmentation.FeatureDropout)]
    [InlineData(TransferAugmentation.Adversarial)]
    public void ACnnStudentTrainsOnTransferRowsTheTeacherLabels(TransferAugmentation augmentations)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(CnnTestData.Rows(128));
        var transfer = new TransferSetOptions { TeacherModelPath = FashionTeacher, Augmentations = augmentations, Overlap = false };
        using var model = CnnTestData.Train(ml, data, CnnTestData.Options(), transfer, teacherColumn: "T");
        Assert.IsType<CnnBody>(model.LastTransformer.Network.Body);
        Assert.All(model.LastTransformer.History, h => Assert.True(h.TeacherTime > TimeSpan.Zero, "the online teacher never ran"));
        Assert.All(model.LastTransformer.History, h => Assert.True(double.IsFinite(h.Loss)));
    }

    [Fact]
    public void ATransferImageShapeThatIsNotTheCnnsIsRefused()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(CnnTestData.Rows(64));
        var transfer = new TransferSetOptions { TeacherModelPath = FashionTeacher, Augmentations = TransferAugmentation.ShiftFlip, ImageShape = [1, 14, 56] };
        var e = Assert.Throws<ArgumentException>(() => CnnTestData.Train(ml, data, CnnTestData.Options(), transfer, teacherColumn: "T"));
        Assert.Contains("[1, 14, 56] differs from the CNN student's image shape [1, 28, 28]", e.Message);
    }
}
