namespace MLNet.Distillation.Losses;

/// <summary>Where a loss that can be used either way takes its target distribution from.</summary>
public enum TargetSource
{
    /// <summary>The hard labels (one-hot); rows without a label are skipped.</summary>
    Labels,
    /// <summary>The teacher's distribution (at the loss's temperature); every row is used.</summary>
    Teacher,
}
