using MLNet.Distillation.Training;

namespace MLNet.Distillation.Tests.Training;

public class LearningRateTests
{
    [Fact]
    public void Stable_decay_holds_the_peak_for_80_percent_then_falls_linearly_to_zero()
    {
        Assert.Equal(0.01, LearningRates.At(LearningRateSchedule.StableDecay, 0.01, 0, 100, 0), 12);
        Assert.Equal(0.01, LearningRates.At(LearningRateSchedule.StableDecay, 0.01, 79, 100, 0), 12);
        Assert.Equal(0.01, LearningRates.At(LearningRateSchedule.StableDecay, 0.01, 80, 100, 0), 12);
        Assert.Equal(0.005, LearningRates.At(LearningRateSchedule.StableDecay, 0.01, 90, 100, 0), 12);
        Assert.Equal(0.0005, LearningRates.At(LearningRateSchedule.StableDecay, 0.01, 99, 100, 0), 12);
    }

    [Fact]
    public void Stable_decay_warms_up_first_and_decays_over_the_last_fifth_of_the_rest()
    {
        Assert.Equal(0.001, LearningRates.At(LearningRateSchedule.StableDecay, 0.01, 0, 110, 10), 12);
        Assert.Equal(0.01, LearningRates.At(LearningRateSchedule.StableDecay, 0.01, 89, 110, 10), 12);
        Assert.Equal(0.005, LearningRates.At(LearningRateSchedule.StableDecay, 0.01, 100, 110, 10), 12);
    }

    [Fact]
    public void Cosine_falls_from_the_peak_to_zero_through_half_at_the_middle()
    {
        Assert.Equal(0.01, LearningRates.At(LearningRateSchedule.Cosine, 0.01, 0, 100, 0), 12);
        Assert.Equal(0.005, LearningRates.At(LearningRateSchedule.Cosine, 0.01, 50, 100, 0), 12);
        Assert.True(LearningRates.At(LearningRateSchedule.Cosine, 0.01, 99, 100, 0) < 1e-5);
    }

    [Fact]
    public void Constant_stays_at_the_peak_after_warm_up()
    {
        Assert.Equal(0.005, LearningRates.At(LearningRateSchedule.Constant, 0.01, 4, 100, 10), 12);
        Assert.Equal(0.01, LearningRates.At(LearningRateSchedule.Constant, 0.01, 99, 100, 10), 12);
    }

    [Fact]
    public void One_cycle_rises_over_the_first_30_percent_without_a_warm_up()
    {
        Assert.Equal(0.005, LearningRates.At(LearningRateSchedule.OneCycle, 0.01, 14, 100, 0), 12);
        Assert.Equal(0.01, LearningRates.At(LearningRateSchedule.OneCycle, 0.01, 30, 100, 0), 12);
    }
}
