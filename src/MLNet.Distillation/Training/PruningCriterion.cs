namespace MLNet.Distillation.Training;

/// <summary>How <see cref="DataStrategy.Prune"/> ranks the training rows.</summary>
public enum PruningCriterion
{
    /// <summary>A seeded random subset (the fit's seed); needs no teacher.</summary>
    Random,
    /// <summary>The entropy of the teacher's probabilities (T = 1): high entropy = a hard row.</summary>
    TeacherEntropy,
    /// <summary>The teacher's top-1 minus top-2 probability: a small margin = a hard row.</summary>
    TeacherMargin,
}
