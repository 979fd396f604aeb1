namespace MLNet.Distillation.Losses;

/// <summary>A loss weight that may change with training progress (e.g. DKD's linear warm-up).</summary>
public abstract class WeightSchedule
{
    /// <summary>The multiplier at this point of training.</summary>
    public abstract double At(int epoch, int totalEpochs, long step);

    /// <summary>A constant weight.</summary>
    public static WeightSchedule Constant(double value) => new ConstantSchedule(value);

    /// <summary>Rises linearly from 0 to <paramref name="value"/> over the first <paramref name="warmupEpochs"/> epochs, then stays.</summary>
    public static WeightSchedule LinearWarmup(double value, int warmupEpochs) => new WarmupSchedule(value, warmupEpochs);

    /// <summary>A constant weight.</summary>
    public static implicit operator WeightSchedule(double value) => new ConstantSchedule(value);

    private sealed class ConstantSchedule(double value) : WeightSchedule
    {
        public override double At(int epoch, int totalEpochs, long step) => value;
        public override string ToString() => value.ToString("G4", System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed class WarmupSchedule(double value, int warmupEpochs) : WeightSchedule
    {
        public override double At(int epoch, int totalEpochs, long step)
            => warmupEpochs <= 0 ? value : value * Math.Min(1.0, (epoch + 1) / (double)warmupEpochs);
        public override string ToString() => $"warmup({value}, {warmupEpochs})";
    }
}
