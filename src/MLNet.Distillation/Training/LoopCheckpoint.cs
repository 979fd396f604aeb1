using MLNet.Distillation.Students;

namespace MLNet.Distillation.Training;

/// <summary>Why a checkpointed fit stopped before its last epoch.</summary>
internal enum CheckpointStop : byte
{
    /// <summary>It did not stop: training continues from the checkpoint.</summary>
    None,
    /// <summary>Early stopping (<see cref="StudentOptions.EarlyStoppingPatience"/>): the best epoch's weights are the result.</summary>
    EarlyStopping,
    /// <summary>Teacher hacking (<see cref="StudentOptions.StopOnTeacherHacking"/>): the best ground-truth epoch's weights are the result.</summary>
    TeacherHacking,
}

/// <summary>
/// Where the training loop stands at a checkpoint, besides its tensors: the next step to take (epoch and step within it),
/// the sums of the epoch in progress, early stopping's best scores and weights, and the history of the finished epochs.
/// </summary>
internal sealed record LoopCheckpoint
{
    /// <summary>The epoch to continue, zero-based; the number of epochs done when <see cref="StepInEpoch"/> is 0.</summary>
    public required int Epoch { get; init; }

    /// <summary>Steps of <see cref="Epoch"/> already taken (0 at an epoch's end).</summary>
    public required int StepInEpoch { get; init; }

    /// <summary>Optimisation steps taken in the whole fit.</summary>
    public required long Step { get; init; }

    /// <summary>Whether the fit had stopped early, and why.</summary>
    public CheckpointStop Stop { get; init; }

    /// <summary>Sum of the total loss over the epoch's steps so far.</summary>
    public double LossSum { get; init; }

    /// <summary>The learning rate of the last step taken in the epoch.</summary>
    public double LearningRate { get; init; }

    /// <summary>Correct predictions on labelled training rows in the epoch so far.</summary>
    public long Correct { get; init; }

    /// <summary>Labelled training rows seen in the epoch so far.</summary>
    public long Labelled { get; init; }

    /// <summary>Sum of each loss term over the epoch's steps so far, in the order the terms first appeared.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> TermSums { get; init; } = [];

    /// <summary>Student time spent in the epoch so far.</summary>
    public TimeSpan StudentTime { get; init; }

    /// <summary>Wall time spent in the epoch so far.</summary>
    public TimeSpan EpochElapsed { get; init; }

    /// <summary>Best early-stopping score so far.</summary>
    public double Best { get; init; } = double.NegativeInfinity;

    /// <summary>Best negated ground-truth validation log-loss so far.</summary>
    public double BestGroundTruth { get; init; } = double.NegativeInfinity;

    /// <summary>Epochs since the best score.</summary>
    public int SinceBest { get; init; }

    /// <summary>The weights of the best epoch so far.</summary>
    public StudentNetwork? BestNetwork { get; init; }

    /// <summary>The weights of the best epoch on the ground truth so far.</summary>
    public StudentNetwork? BestGroundTruthNetwork { get; init; }

    /// <summary>The finished epochs.</summary>
    public IReadOnlyList<EpochProgress> History { get; init; } = [];
}
