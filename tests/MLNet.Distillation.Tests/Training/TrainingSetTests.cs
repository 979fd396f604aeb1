using Microsoft.ML;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Training;

/// <summary>The rows in memory: read once, validated per row, split into views of the same stores.</summary>
public class TrainingSetTests
{
    private static TrainingSet LoadWine(MLContext ml)
    {
        var data = WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher)).Fit(Wine(ml)).Transform(Wine(ml));
        return TrainingSet.Load(data, new StudentOptions { TeacherColumnName = "TeacherLogits" });
    }

    private static string Key(TrainingSet set, int row) => string.Join(",", set.FeatureRow(row).ToArray()) + "|" + set.Label(row) + "|" + string.Join(",", set.TeacherRow(row).ToArray());

    [Fact]
    public void ASplitPartitionsTheRowsWithTheirLabelsAndTeacherOutputs()
    {
        var all = LoadWine(new MLContext(seed: 1));
        var (train, validation) = all.Split(0.25, seed: 5);

        Assert.Equal(178, all.Rows);
        Assert.Equal(44, validation.Rows);   // round(178 × 0.25), to even
        Assert.Equal(134, train.Rows);
        var expected = Enumerable.Range(0, all.Rows).Select(r => Key(all, r)).Order();
        var actual = Enumerable.Range(0, train.Rows).Select(r => Key(train, r)).Concat(Enumerable.Range(0, validation.Rows).Select(r => Key(validation, r))).Order();
        Assert.Equal(expected, actual);
        Assert.Equal(train.LabelledRows() + validation.LabelledRows(), all.LabelledRows());
    }

    [Fact]
    public void TheSameSeedSplitsTheSameWayAndASubsetOfASubsetFindsTheOriginalRows()
    {
        var all = LoadWine(new MLContext(seed: 1));
        var (a, _) = all.Split(0.25, seed: 5);
        var (b, _) = all.Split(0.25, seed: 5);
        Assert.Equal(Enumerable.Range(0, a.Rows).Select(r => Key(a, r)), Enumerable.Range(0, b.Rows).Select(r => Key(b, r)));

        var picked = a.Subset([10, 3]);
        Assert.Equal([Key(a, 10), Key(a, 3)], [Key(picked, 0), Key(picked, 1)]);
        var copied = new float[2 * all.FeatureCount];
        picked.CopyFeatures([0, 1], copied);
        Assert.Equal(a.FeatureRow(10).ToArray().Concat(a.FeatureRow(3).ToArray()), copied);
    }

    [Fact]
    public void ANonFiniteFeatureNamesTheRowTheSlotAndTheFix()
    {
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.CreateEnumerable<WineRow>(Wine(ml), reuseRowObject: false).ToList();
        rows[17].Features[4] = float.NaN;
        var data = WineLabelToKey(ml).Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
        var e = Assert.Throws<ArgumentException>(() => TrainingSet.Load(data, new StudentOptions()));
        Assert.Contains("Row 17 of the feature column 'Features' holds NaN at slot 4", e.Message);
        Assert.Contains("ReplaceMissingValues", e.Message);
    }
}
