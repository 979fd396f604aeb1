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
        // Gains 2^grade − 1.
        var ndcg = RankingMeasures.Ndcg([3, 2, 2, 1, 5, 4], [0, 2, 1, 0, 0, 0], [true, true, true, true, true, true], [0, 0, 0, 0, 1, 1], 4, [0, 1, 3])!;
        double dcg4 = 1 / Math.Log2(3) + 3 / 2.0, ideal4 = 3 + 1 / Math.Log2(3);
        Assert.Equal((dcg4 / ideal4 + 0) / 2, ndcg[3], 12);
        Assert.Equal(0, ndcg[0], 12);   // the top row has grade 0 in both groups
        Assert.Null(RankingMeasures.Ndcg([1, 2], [1, 0], [false, false], [0, 0], 4, [0, 1]));
        // ML.NET's default gains weigh grade 1 as 3 and grade 2 as 7: DCG@4 = 3/log2(3) + 7/2, ideal 7 + 3/log2(3).
        var mlnet = RankingMeasures.Ndcg([3, 2, 2, 1], [0, 2, 1, 0], [true, true, true, true], [0, 0, 0, 0], 4, [0, 3, 7, 15, 31])!;
        Assert.Equal((3 / Math.Log2(3) + 3.5) / (7 + 3 / Math.Log2(3)), mlnet[3], 12);
    }

    [Fact]
    public void AGradeWithoutAGainIsRefusedWithTheOptionThatSetsThem()
    {
        var e = Assert.Throws<ArgumentException>(() => RankingMeasures.Ndcg([1, 2], [5, 0], [true, true], [0, 0], 4, [0, 3, 7, 15, 31]));
        Assert.Contains("grade 5", e.Message);
        Assert.Contains("RankingLabelGains", e.Message);
        Assert.Throws<ArgumentException>(() => RankingMeasures.Ndcg([1, 2], [0.5f, 0], [true, true], [0, 0], 4, [0, 3, 7]));
        // An unlabelled row's grade is not checked.
        Assert.NotNull(RankingMeasures.Ndcg([1, 2], [9, 1], [false, true], [0, 0], 4, [0, 3]));
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

    private static ModelSummary Summary(string role) => new() { Role = role, Description = role, ParameterCount = 10, FileBytes = 100 };

    [Fact]
    public void AStudentThatScoresAsItsTeacherHasPerfectFidelityInEveryTask()
    {
        float[][] values = [[1.5f, -2], [0.5f, 3], [4, 0]];
        float[][] labels = [[1, -1], [1, 2], [3, 1]];
        var regression = DistillationReport.FromRegression(Summary("Teacher"), Summary("Student"),
            new RegressionPredictions([.. values], [.. values], [.. labels], [true, true, false], 2), [], "test");
        Assert.Equal(0, regression.TeacherFidelityRmse!.Value, 12);
        Assert.Equal(regression.Teacher.PerOutput, regression.Student.PerOutput);
        Assert.Equal(2, regression.LabelledRows);
        Assert.Null(regression.TopOneAgreement);

        float[] scores = [0.3f, 0.1f, 0.9f, 0.2f, 0.5f];
        var ranking = DistillationReport.FromRanking(Summary("Teacher"), Summary("Student"),
            new RankingPredictions([.. scores], [.. scores], [1, 0, 2, 0, 1], [true, true, true, true, true], [0, 0, 0, 1, 1]), [0, 3, 7], [], "test");
        Assert.Equal(1, ranking.RankCorrelation!.Value, 12);
        Assert.Equal(2, ranking.RankCorrelationGroups);
        Assert.Equal(1, ranking.Student.Ndcg![DistillationReport.NdcgDepth - 1], 12);   // sorted by score = sorted by grade here
        Assert.Equal(ranking.Teacher.Ndcg, ranking.Student.Ndcg);
        Assert.Null(ranking.TeacherFidelityRmse);

        float[][] probabilities = [[0.2f, 0.8f], [0.7f, 0.3f], [0.4f, 0.6f]];
        var binary = DistillationReport.FromBinary(Summary("Teacher"), Summary("Student"),
            new BinaryPredictions([.. probabilities], [.. probabilities], [0.8, 0.3, 0.6], [0.8, 0.3, 0.6], [1, 0, 0]), 5, [], "test");
        Assert.Equal(1, binary.TopOneAgreement!.Value, 12);
        Assert.Equal(0, binary.MeanKlDivergence!.Value, 12);
        Assert.Equal(1, binary.Student.AreaUnderRocCurve!.Value, 12);   // the positive row scores highest
        Assert.Equal(2.0 / 3, binary.Student.Accuracy!.Value, 12);     // row 2 (0.6) is a false positive
    }
}
