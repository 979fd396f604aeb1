using MLNet.Distillation.Losses;
using MLNet.Distillation.Training;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Training;

/// <summary>The training accuracy counted in .NET agrees with torch's own argmax, mask and compare, ties and NaN included.</summary>
public class TrainAccuracyTests
{
    [Fact]
    public void Multiclass_counts_equal_torch_argmax_with_ties_nan_and_missing_labels()
    {
        var rng = new Random(3);
        var values = new float[64 * 5];
        for (int i = 0; i < values.Length; i++) values[i] = rng.Next(4);   // few distinct values: many ties
        values[7] = float.NaN;                                            // row 1: NaN in the middle wins
        values[10] = float.NaN;                                           // row 2: NaN first wins
        values[15] = values[16] = float.NaN;                              // row 3: the first NaN wins
        var labels = Enumerable.Range(0, 64).Select(i => i % 7 == 0 ? -1L : rng.Next(5)).ToArray();
        labels[1] = 2;
        labels[2] = 0;
        labels[3] = 0;
        using var logits = tensor(values).reshape(64, 5);
        using var y = tensor(labels);

        var (correct, labelled) = TrainAccuracy.Count(logits, y, DistillationTask.MulticlassClassification);

        using var mask = y.ge(0);
        Assert.Equal(mask.sum().item<long>(), labelled);
        Assert.Equal(logits.argmax(1).eq(y).logical_and(mask).sum().item<long>(), correct);
        Assert.InRange(correct, 4, labelled - 1);   // the case is not trivial
    }

    [Fact]
    public void Binary_counts_a_logit_above_zero_as_class_one_on_a_view_of_the_first_rows()
    {
        using var all = tensor(new float[] { 0.5f, -0.5f, 0f, 2f, -3f, 9f }).reshape(6, 1);
        using var allLabels = tensor(new long[] { 1, 1, 0, -1, 0, 1 });
        using var logits = all.narrow(0, 0, 5);
        using var y = allLabels.narrow(0, 0, 5);

        var (correct, labelled) = TrainAccuracy.Count(logits, y, DistillationTask.BinaryClassification);

        Assert.Equal(4, labelled);
        Assert.Equal(3, correct);   // 0.5→1 right, −0.5→0 wrong, 0→0 right, −3→0 right
    }
}
