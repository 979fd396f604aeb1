using Microsoft.ML;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Training;

public class TransferSetTests
{
    private static float[] Rows(params float[][] rows) => rows.SelectMany(r => r).ToArray();

    [Fact]
    public void MixupRowsAreConvexCombinationsOfTwoBatchRows()
    {
        var gen = new TransferSetGenerator(new TransferSetOptions { TeacherModelPath = "x", Augmentations = TransferAugmentation.Mixup }, [1f, 1f], seed: 1);
        var batch = Rows([0f, 0f], [10f, 20f]);
        var synthetic = gen.Make(batch, 2, 50);
        for (int r = 0; r < 50; r++)
        {
            float a = synthetic[2 * r], b = synthetic[2 * r + 1];
            Assert.InRange(a, 0f, 10f);
            Assert.Equal(2 * a, b, 1e-4);   // every convex combination of (0,0) and (10,20) lies on y = 2x
        }
    }

    [Fact]
    public void ShiftFlipWithoutShiftMirrorsOrKeepsEachImageRow()
    {
        var gen = new TransferSetGenerator(new TransferSetOptions
        {
            TeacherModelPath = "x", Augmentations = TransferAugmentation.ShiftFlip, ImageShape = [1, 2, 3], MaxShift = 0,
        }, new float[6], seed: 3);
        var image = new float[] { 1, 2, 3, 4, 5, 6 };
        var synthetic = gen.Make(image, 1, 20);
        for (int r = 0; r < 20; r++)
        {
            var row = synthetic.AsSpan(6 * r, 6).ToArray();
            Assert.True(row.SequenceEqual(image) || row.SequenceEqual(new float[] { 3, 2, 1, 6, 5, 4 }), string.Join(",", row));
        }
    }

    [Fact]
    public void MungeWithZeroSwapProbabilityCopiesRows()
    {
        var gen = new TransferSetGenerator(new TransferSetOptions { TeacherModelPath = "x", Augmentations = TransferAugmentation.Munge, MungeSwapProbability = 0 }, [1f, 1f], seed: 1);
        var batch = Rows([1f, 2f], [3f, 4f], [5f, 6f]);
        var synthetic = gen.Make(batch, 3, 9);
        for (int r = 0; r < 9; r++)
            Assert.Contains((synthetic[2 * r], synthetic[2 * r + 1]), new[] { (1f, 2f), (3f, 4f), (5f, 6f) });
    }

    [Fact]
    public void MungeDrawsAroundTheNearestNeighbour()
    {
        var gen = new TransferSetGenerator(new TransferSetOptions { TeacherModelPath = "x", Augmentations = TransferAugmentation.Munge, MungeSwapProbability = 1, MungeLocalVariance = 1e6 }, [1f], seed: 1);
        var batch = Rows([0f], [1f], [100f]);
        var synthetic = gen.Make(batch, 3, 30);
        // with a huge s the draw sits on the nearest neighbour's value: 0↔1 swap, 100 takes 1
        Assert.All(synthetic, v => Assert.True(Math.Abs(v - 0) < 1e-3 || Math.Abs(v - 1) < 1e-3, $"{v}"));
    }

    [Fact]
    public void SameSeedMakesTheSameSyntheticRows()
    {
        var o = new TransferSetOptions { TeacherModelPath = "x", Augmentations = TransferAugmentation.Mixup | TransferAugmentation.GaussianNoise | TransferAugmentation.FeatureDropout };
        var batch = Rows([1f, 2f], [3f, 4f], [5f, 6f]);
        Assert.Equal(new TransferSetGenerator(o, [1f, 1f], 5).Make(batch, 3, 10), new TransferSetGenerator(o, [1f, 1f], 5).Make(batch, 3, 10));
    }

    [Fact]
    public void ImageAugmentationsNeedAnImageShape()
        => Assert.Throws<ArgumentException>(() => new MLContext().MulticlassClassification.Trainers.Student(new StudentOptions
        {
            TransferSet = new TransferSetOptions { TeacherModelPath = WineTeacher, Augmentations = TransferAugmentation.CutMix },
        }));

    private static (StudentTransformer Student, IDataView Test, MLContext Ml, ITransformer Model) Fit(TransferSetOptions transfer)
    {
        var ml = new MLContext(seed: 1);
        var train = WineSplit(ml, "train");
        var model = WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
            {
                TeacherColumnName = "TeacherLogits", HiddenLayers = [16], Epochs = 15, BatchSize = 32, LearningRate = 0.01, Seed = 2,
                TransferSet = transfer,
            })).Fit(train);
        return (model.LastTransformer, WineSplit(ml, "test"), ml, model);
    }

    [Fact]
    public void StudentTrainsOnTeacherLabelledSyntheticRowsAndReportsTeacherTime()
    {
        var (student, test, ml, model) = Fit(new TransferSetOptions { TeacherModelPath = WineTeacher, Augmentations = TransferAugmentation.Munge | TransferAugmentation.Mixup });
        Assert.All(student.History, h => Assert.True(h.TeacherTime > TimeSpan.Zero));
        Assert.True(ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy > 0.85);
    }

    [Fact]
    public void OverlappingTheTeacherDoesNotChangeTheResult()
    {
        var a = Fit(new TransferSetOptions { TeacherModelPath = WineTeacher, Augmentations = TransferAugmentation.GaussianNoise, Overlap = true });
        var b = Fit(new TransferSetOptions { TeacherModelPath = WineTeacher, Augmentations = TransferAugmentation.GaussianNoise, Overlap = false });
        Assert.Equal(ReadVectors(a.Student.Transform(a.Test), "Score"), ReadVectors(b.Student.Transform(b.Test), "Score"));
    }

    [Fact]
    public void TransferTeacherMustTakeTheStudentsFeatures()
    {
        var e = Assert.Throws<ArgumentException>(() => Fit(new TransferSetOptions { TeacherModelPath = Fixture("two_input_teacher.onnx") }));
        Assert.Contains("two_input_teacher.onnx", e.Message);
    }
}
