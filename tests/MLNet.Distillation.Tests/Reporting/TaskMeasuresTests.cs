using MLNet.Distillation.Reporting;

namespace MLNet.Distillation.Tests.Reporting;

/// <summary>The task measures of the report on small hand-worked cases.</summary>
public class TaskMeasuresTests
{
    [Fact]
    public void AucCountsTiesAsOneHalfAndSkipsRowsWithoutALabel()
    {
        // Positives score 0.9, 0.5; negatives 0.5, 0.1 (and an unlabelled 0.95). Pairs: (0.9 > 0.5) 1, (0.9 > 0.1) 1,
        // (0.5 = 0.5) ½, (0.5 > 0.1) 1 → 3.5 / 4.
        Assert.Equal(0.875, ClassificationMetrics.AreaUnderRoc([0.9, 0.5, 0.5, 0.1, 0.95], [1, 1, 0, 0, -1])!.Value, 12);
        Assert.Null(ClassificationMetrics.AreaUnderRoc([0.9, 0.5], [1, 1]));
    }

    [Fact]
    public void KendallTauBOfAHandWorkedGroupWithTies()
    {
        // x = 1 2 2 3, y = 1 3 2 2: concordant 3, discordant 1, one tie in each → (3 − 1) / √(5·5) = 0.4. Group 1 has one row.
        var (tau, groups) = RankingMeasures.KendallTauB([1, 2, 2, 3, 7], [1, 3, 2, 2, 7], [0, 0, 0, 0, 1]);
        Assert.Equal(0.4, tau!.Value, 12);
        Assert.Equal(1, groups);
        var (reversed, _) = RankingMeasures.KendallTauB([1, 2, 3], [3, 2, 1], [0, 0, 0]);
        Assert.Equal(-1, reversed!.Value, 12);
    }

    [Fact]
    public void NdcgOfAHandWorkedGroupPutsTheLowerGradeFirstOnTiedScores()
    {
        // Scores 3, 2, 2, 1 with grades 0, 2, 1, 0: ties put grade 1 before grade 2 → order 0, 1, 2, 0.
        // DCG@4 = 0 + 1/log2(3) + 3/log2(4) + 0; ideal 2, 1, 0, 0 → 3 + 1/log2(3). A second group with grades all 0 counts as 0.
        var ndcg = RankingMeasures.Ndcg([3, 2, 2, 1, 5, 4], [0, 2, 1, 0, 0, 0], [true, true, true, true, true, true], [0, 0, 0, 0, 1, 1], 4)!;
        double dcg4 = 1 / Math.Log2(3) + 3 / 2.0, ideal4 = 3 + 1 / Math.Log2(3);
        Assert.Equal((dcg4 / ideal4 + 0) / 2, ndcg[3], 12);
        Assert.Equal(0, ndcg[0], 12);   // the top row has grade 0 in both groups
        Assert.Null(RankingMeasures.Ndcg([1, 2], [1, 0], [false, false], [0, 0], 4));
    }

    [Fact]
    public void RegressionMeasuresSkipUnlabelledRowsAndGiveNoRSquaredForConstantLabels()
    {
        float[][] predictions = [[1, 10], [2, 20], [4, 40]];
        float[][] labels = [[1, 5], [3, 5], [0, 0]];
        var m = RegressionMeasures.PerOutput(predictions, labels, [true, true, false], 2);
        Assert.Equal(Math.Sqrt(0.5), m[0].RootMeanSquaredError!.Value, 12);   // errors 0, −1
        Assert.Equal(0.5, m[0].MeanAbsoluteError!.Value, 12);
        Assert.Equal(1 - 1 / 2.0, m[0].RSquared!.Value, 12);               // Σe² = 1, Σ(y − ȳ)² = 2
        Assert.Null(m[1].RSquared);                                          // labels 5, 5
        Assert.Equal(Math.Sqrt((0 + 1 + 4) / 3.0), RegressionMeasures.DistancePerOutput([[1], [2], [3]], [[1], [3], [5]], 1)[0], 12);
    }
}
