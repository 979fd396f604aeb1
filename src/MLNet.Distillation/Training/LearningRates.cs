namespace MLNet.Distillation.Training;

/// <summary>The learning rate of each optimisation step under a <see cref="LearningRateSchedule"/>.</summary>
internal static class LearningRates
{
    /// <summary>Share of the steps after warm-up that <see cref="LearningRateSchedule.StableDecay"/> keeps at the peak.</summary>
    public const double StableFraction = 0.8;

    /// <summary>Share of the run that <see cref="LearningRateSchedule.OneCycle"/> rises over when no warm-up is set.</summary>
    public const double OneCycleRise = 0.3;

    /// <summary>The learning rate at <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>, after <paramref name="warmupSteps"/> of linear warm-up.</summary>
    public static double At(LearningRateSchedule schedule, double peak, long step, long totalSteps, long warmupSteps)
    {
        long warmup = warmupSteps;
        if (schedule == LearningRateSchedule.OneCycle && warmup == 0) warmup = (long)(OneCycleRise * totalSteps);
        if (warmup > 0 && step < warmup) return peak * (step + 1) / warmup;
        switch (schedule)
        {
            case LearningRateSchedule.Constant:
                return peak;
            case LearningRateSchedule.StableDecay:
                long decayFrom = warmup + (long)(StableFraction * (totalSteps - warmup));
                return step < decayFrom ? peak : peak * Math.Max(0, totalSteps - step) / (double)(totalSteps - decayFrom);
            default:
                double progress = totalSteps <= warmup ? 1 : (step - warmup) / (double)(totalSteps - warmup);
                return peak * 0.5 * (1 + Math.Cos(Math.PI * Math.Clamp(progress, 0, 1)));
        }
    }
}
