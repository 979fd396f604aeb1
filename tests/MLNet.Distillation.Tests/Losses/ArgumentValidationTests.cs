using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Tests.Losses;

public class ArgumentValidationTests
{
    public static TheoryData<string, Func<DistillationLoss>, string> Invalid => new()
    {
        { "zero temperature", () => DistillationLoss.ReverseKl(0), "temperature" },
        { "negative temperature", () => DistillationLoss.Dkd(temperature: -1), "temperature" },
        { "NaN temperature", () => DistillationLoss.Nkd(temperature: double.NaN), "temperature" },
        { "infinite temperature", () => DistillationLoss.TotalVariation(double.PositiveInfinity), "temperature" },
        { "JSD beta 0", () => DistillationLoss.GeneralizedJensenShannon(beta: 0), "beta" },
        { "JSD beta 1", () => DistillationLoss.GeneralizedJensenShannon(beta: 1), "beta" },
        { "skew 1", () => DistillationLoss.SkewKl(skew: 1), "skew" },
        { "negative skew", () => DistillationLoss.SkewReverseKl(skew: -0.1), "skew" },
        { "negative DKD alpha", () => DistillationLoss.Dkd(alpha: -1), "alpha" },
        { "corrected-KD alpha above 1", () => DistillationLoss.TeacherCorrected(alpha: 1.5), "alpha" },
        { "corrected-KD NaN temperature", () => DistillationLoss.TeacherCorrected(temperature: double.NaN), "temperature" },
        { "corrected-KD confidence above 1", () => DistillationLoss.TeacherCorrected(minimumConfidence: 2), "minimumConfidence" },
        { "negative DKD beta", () => DistillationLoss.Dkd(beta: -1), "beta" },
        { "negative warm-up", () => DistillationLoss.Dkd(warmupEpochs: -1), "warmupEpochs" },
        { "negative CE weight", () => DistillationLoss.Nkd(ceWeight: -0.5), "ceWeight" },
        { "negative NKD gamma", () => DistillationLoss.Nkd(gamma: -1), "gamma" },
        { "negative USKD mu", () => DistillationLoss.Uskd(mu: -1), "mu" },
        { "zero Sinkhorn epsilon", () => DistillationLoss.Sinkhorn(epsilon: 0), "epsilon" },
        { "zero Sinkhorn iterations", () => DistillationLoss.Sinkhorn(iterations: 0), "iterations" },
        { "zero Z-loss a", () => DistillationLoss.ZLoss(a: 0), "a" },
        { "NaN Z-loss b", () => DistillationLoss.ZLoss(b: double.NaN), "b" },
        { "zero LDR temperature", () => DistillationLoss.LdrKl(temperature: 0), "temperature" },
        { "negative LDR margin", () => DistillationLoss.LdrKl(margin: -1), "margin" },
        { "ALDR alpha 1", () => DistillationLoss.AldrKl(alpha: 1), "alpha" },
        { "SCE log clamp 0", () => DistillationLoss.SymmetricCrossEntropy(logClamp: 0), "logClamp" },
        { "negative SCE beta", () => DistillationLoss.SymmetricCrossEntropyToTeacher(beta: -1), "beta" },
        { "GCE q 0", () => DistillationLoss.GeneralizedCrossEntropy(0), "q" },
        { "GCE q above 1", () => DistillationLoss.GeneralizedCrossEntropy(1.5), "q" },
        { "comp-sum tau below 1", () => DistillationLoss.CompSum(0.5), "tau" },
        { "zero DCO attempts", () => DistillationLoss.ConfidenceLimiting(0), "n" },
        { "zero aux temperature", () => DistillationLoss.DualHead(auxTemperature: 0), "auxTemperature" },
        { "negative aux weight", () => DistillationLoss.DualHead(auxWeight: -1), "auxWeight" },
        { "zero TGeo hidden units", () => DistillationLoss.TGeoKd(hiddenSize: 0), "hiddenSize" },
        { "zero TGeo learning rate", () => DistillationLoss.TGeoKd(learningRate: 0), "learningRate" },
        { "zero TGeo virtual step", () => DistillationLoss.TGeoKd(virtualStep: 0), "virtualStep" },
        { "zero dropout samples", () => DistillationLoss.MultiSampleDropout(DistillationLoss.Hinton(), samples: 0), "samples" },
        { "dropout rate 1", () => DistillationLoss.MultiSampleDropout(DistillationLoss.Hinton(), dropoutRate: 1), "dropoutRate" },
        { "zero binary-KD temperature", () => DistillationLoss.BinaryKd(temperature: 0), "temperature" },
        { "binary-KD alpha above 1", () => DistillationLoss.BinaryKd(alpha: 1.5), "alpha" },
        { "negative regression-KD alpha", () => DistillationLoss.RegressionKd(alpha: -0.1), "alpha" },
        { "zero regression Huber delta", () => DistillationLoss.RegressionKd(distance: RegressionDistance.Huber, huberDelta: 0), "huberDelta" },
        { "unknown regression distance", () => DistillationLoss.RegressionKd(distance: (RegressionDistance)7), "distance" },
        { "negative teacher-bounded margin", () => DistillationLoss.TeacherBounded(margin: -1), "margin" },
        { "NaN teacher-bounded weight", () => DistillationLoss.TeacherBounded(weight: double.NaN), "weight" },
        { "infinite teacher-bounded Huber delta", () => DistillationLoss.TeacherBounded(huberDelta: double.PositiveInfinity), "huberDelta" },
        { "negative tolerant/tough main weight", () => DistillationLoss.TolerantTough(mainWeight: -1), "mainWeight" },
        { "negative tough assistive weight", () => DistillationLoss.TolerantTough(toughWeight: -1), "toughWeight" },
        { "NaN tough beyond weight", () => DistillationLoss.TolerantTough(toughBeyond: double.NaN), "toughBeyond" },
        { "infinite tolerant within weight", () => DistillationLoss.TolerantTough(tolerantWithin: double.NegativeInfinity), "tolerantWithin" },
        { "Bernoulli-KL alpha above 1", () => DistillationLoss.BernoulliKl(alpha: 2), "alpha" },
        { "zero listwise-KL temperature", () => DistillationLoss.ListwiseKl(0), "temperature" },
        { "infinite ranking-KD temperature", () => DistillationLoss.RankingKd(temperature: double.PositiveInfinity), "temperature" },
        { "negative ranking-KD alpha", () => DistillationLoss.RankingKd(alpha: -1), "alpha" },
        { "negative hint weight", () => DistillationLoss.Hint("TeacherEmbedding", weight: -1), "weight" },
        { "NaN hint weight", () => DistillationLoss.Hint("TeacherEmbedding", weight: double.NaN), "weight" },
        { "MI-alpha alpha above 1", () => DistillationLoss.Hint("TeacherEmbedding", distance: HintDistance.MiAlpha, alpha: 1.5), "alpha" },
        { "negative MI-alpha alpha", () => DistillationLoss.Hint("TeacherEmbedding", alpha: -0.1), "alpha" },
        { "unknown hint distance", () => DistillationLoss.Hint("TeacherEmbedding", distance: (HintDistance)9), "distance" },
        { "unknown hint projection", () => DistillationLoss.Hint("TeacherEmbedding", projection: (HintProjection)9), "projection" },
        { "zero relation-graph temperature", () => DistillationLoss.RelationGraph(temperature: 0), "temperature" },
        { "zero contrastive temperature", () => DistillationLoss.EmbeddingContrastive(0), "temperature" },
        { "infinite contrastive temperature", () => DistillationLoss.EmbeddingContrastive(double.PositiveInfinity), "temperature" },
        { "zero triplet margin", () => DistillationLoss.EmbeddingTriplet(0), "margin" },
        { "triplet margin above 2", () => DistillationLoss.EmbeddingTriplet(2.5), "margin" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Out_of_range_hyper_parameters_are_rejected_naming_the_parameter(string what, Func<DistillationLoss> create, string parameter)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(create);
        Assert.Equal(parameter, ex.ParamName);
        Assert.False(string.IsNullOrWhiteSpace(ex.Message), what);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Representation_losses_need_a_column_name_when_one_is_given(string column)
    {
        Assert.Equal("teacherColumn", Assert.Throws<ArgumentException>(() => DistillationLoss.Hint(column)).ParamName);
        Assert.Equal("teacherColumn", Assert.Throws<ArgumentException>(() => DistillationLoss.RkdDistance(column)).ParamName);
        Assert.Equal("teacherColumn", Assert.Throws<ArgumentException>(() => DistillationLoss.RelationGraph(column)).ParamName);
    }

    [Fact]
    public void Multi_sample_dropout_needs_an_inner_loss()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => DistillationLoss.MultiSampleDropout(null!));
        Assert.Equal("inner", ex.ParamName);
    }

    [Fact]
    public void Factories_use_the_papers_defaults()
    {
        var dkd = DistillationLoss.Dkd();
        Assert.Equal((1.0, 8.0, 4.0, 20, 1.0), (dkd.Alpha, dkd.Beta, dkd.Temperature, dkd.WarmupEpochs, dkd.CeWeight));
        var nkd = DistillationLoss.Nkd();
        Assert.Equal((1.0, 1.5), (nkd.Temperature, nkd.Gamma));
        var uskd = DistillationLoss.Uskd();
        Assert.Equal((1.0, 0.1, 0.005), (uskd.Alpha, uskd.Beta, uskd.Mu));
        var sce = DistillationLoss.SymmetricCrossEntropy();
        Assert.Equal((0.1, 1.0, -4.0), (sce.Alpha, sce.Beta, sce.LogClamp));
        Assert.Equal(1.7, DistillationLoss.GeneralizedCrossEntropy().Tau, 12);
        Assert.Equal(0.1, DistillationLoss.SkewKl().Skew);
        Assert.Equal((0.1, 20), (DistillationLoss.Sinkhorn().Epsilon, DistillationLoss.Sinkhorn().Iterations));
    }

    [Fact]
    public void Task_loss_factories_use_the_documented_defaults()
    {
        var binary = DistillationLoss.BinaryKd();
        Assert.Equal((1.0, 0.0), (binary.Temperature, binary.Alpha));
        var regression = DistillationLoss.RegressionKd();
        Assert.Equal((0.0, RegressionDistance.Mse, 1.0), (regression.Alpha, regression.RegressionDistance, regression.HuberDelta));
        var bounded = DistillationLoss.TeacherBounded();
        Assert.Equal((0.0, 0.5, RegressionDistance.Huber, 1.0), (bounded.Margin, bounded.Weight, bounded.RegressionDistance, bounded.HuberDelta));
        var tt = DistillationLoss.TolerantTough();
        Assert.Equal((2.0, 1.0, 1.0), (tt.MainWeight, tt.ToughWeight, tt.TolerantWeight));
        Assert.Equal((1.9, -0.45, 1.8, -0.4), (tt.ToughBeyond, tt.ToughWithin, tt.TolerantBeyond, tt.TolerantWithin));
        Assert.Equal(0.0, DistillationLoss.BernoulliKl().Alpha);
        Assert.Equal(1.0, DistillationLoss.ListwiseKl().Temperature);
        var ranking = DistillationLoss.RankingKd();
        Assert.Equal((1.0, 0.0), (ranking.Temperature, ranking.Alpha));
    }
}
