using MLNet.Distillation.Reporting;
using static MLNet.Distillation.Tests.Reporting.HandMadePredictions;

namespace MLNet.Distillation.Tests.Reporting;

public class ClassificationMetricsTests
{
    // float inputs (0.7f ≠ 0.7) limit agreement with the hand-worked double answers to about 1e-7.
    private const double Tol = 1e-6;

    [Fact]
    public void AccuracyCountsLabelledRowsOnly()
        => Assert.Equal(StudentAccuracy, ClassificationMetrics.Accuracy(Student, Labels)!.Value, Tol);

    [Fact]
    public void MacroF1AveragesPerClassF1()
        => Assert.Equal(StudentMacroF1, ClassificationMetrics.MacroF1(Student, Labels, 3)!.Value, Tol);

    [Fact]
    public void MacroF1LeavesOutClassesThatAreNeitherLabelNorPrediction()
    {
        // Two rows, both class 0 and predicted 0: class 0 has F1 1; classes 1 and 2 never occur and are not averaged in.
        Assert.Equal(1.0, ClassificationMetrics.MacroF1([[0.9f, 0.05f, 0.05f], [0.8f, 0.1f, 0.1f]], [0, 0], 3)!.Value, Tol);
    }

    [Fact]
    public void LogLossIsTheMeanNegativeLogProbabilityOfTheLabel()
        => Assert.Equal(StudentLogLoss, ClassificationMetrics.LogLoss(Student, Labels)!.Value, Tol);

    [Fact]
    public void LogLossClampsAZeroProbabilityAtEpsilon()
        => Assert.Equal(-Math.Log(1e-15), ClassificationMetrics.LogLoss([[1f, 0f]], [1])!.Value, 1e-9);

    [Fact]
    public void ExpectedCalibrationErrorWeighsEachBinsGapByItsShareOfRows()
    {
        var bins = ClassificationMetrics.Reliability(Student, Labels, 5);
        Assert.Equal(StudentEce5, ClassificationMetrics.ExpectedCalibrationError(bins)!.Value, Tol);
        Assert.Equal(TeacherEce5, ClassificationMetrics.ExpectedCalibrationError(ClassificationMetrics.Reliability(Teacher, Labels, 5))!.Value, Tol);
    }

    [Fact]
    public void ReliabilityBinsHoldCountsMeanConfidenceAndAccuracy()
    {
        var bins = ClassificationMetrics.Reliability(Student, Labels, 5);
        Assert.Equal([0, 0, 2, 2, 1], bins.Select(b => b.Count));
        Assert.Equal(0.5, bins[2].MeanConfidence!.Value, Tol);
        Assert.Equal(0.0, bins[2].Accuracy!.Value);
        Assert.Equal(0.675, bins[3].MeanConfidence!.Value, Tol);
        Assert.Equal(1.0, bins[3].Accuracy!.Value);
        Assert.Null(bins[0].Accuracy);
        Assert.Equal(0.4, bins[2].Lower, 12);
        Assert.Equal(0.6, bins[2].Upper, 12);
    }

    [Fact]
    public void AConfidenceOnABinEdgeFallsIntoTheLowerBin()
    {
        // 0.5 is exact in binary: with 2 bins it belongs to (0, 0.5], not (0.5, 1].
        var bins = ClassificationMetrics.Reliability([[0.5f, 0.5f]], [0], 2);
        Assert.Equal([1, 0], bins.Select(b => b.Count));
    }

    [Fact]
    public void AgreementComparesArgMaxesOnAllRowsWithTiesGoingToTheLowestClass()
        => Assert.Equal(Agreement, ClassificationMetrics.Agreement(Teacher, Student), Tol);

    [Fact]
    public void MeanKlIsTeacherWeightedLogRatioAveragedOverRows()
        => Assert.Equal(MeanKl, ClassificationMetrics.MeanKl(Teacher, Student), Tol);

    [Fact]
    public void MeanKlOfIdenticalDistributionsIsZero()
        => Assert.Equal(0.0, ClassificationMetrics.MeanKl(Teacher, Teacher), 12);

    [Fact]
    public void LabelledMetricsAreNullWithoutLabels()
    {
        int[] none = [-1, -1, -1, -1, -1, -1];
        Assert.Null(ClassificationMetrics.Accuracy(Student, none));
        Assert.Null(ClassificationMetrics.MacroF1(Student, none, 3));
        Assert.Null(ClassificationMetrics.LogLoss(Student, none));
        Assert.Null(ClassificationMetrics.ExpectedCalibrationError(ClassificationMetrics.Reliability(Student, none, 5)));
    }

    [Fact]
    public void SoftmaxTurnsLogitsIntoProbabilities()
    {
        var p = ClassificationMetrics.Softmax([1f, 2f, 3f]);
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        Assert.Equal(Math.Exp(1) / z, p[0], 1e-6);
        Assert.Equal(Math.Exp(3) / z, p[2], 1e-6);
    }
}
