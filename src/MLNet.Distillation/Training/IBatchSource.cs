namespace MLNet.Distillation.Training;

/// <summary>
/// Where the training loop's batches come from: the rows in memory (<see cref="InMemoryBatches"/>, the default) or the
/// data view streamed through a shuffle buffer (<see cref="StreamingBatches"/>). The loop is the same for both: it asks
/// for the statistics it needs before the first step, starts each epoch, and takes the epoch's batches in turn.
/// </summary>
internal interface IBatchSource : IDisposable
{
    /// <summary>
    /// A set with the rows' shape — feature and output widths, task, teacher kinds and weights, extra teacher columns,
    /// class order, regression scaling, whether any row has a label. In memory it holds every training row.
    /// </summary>
    TrainingSet Set { get; }

    /// <summary>Training rows in one epoch.</summary>
    long Rows { get; }

    /// <summary>Steps (batches) per epoch.</summary>
    int StepsPerEpoch { get; }

    /// <summary>The most rows a batch holds.</summary>
    int Capacity { get; }

    /// <summary>The epoch's batches as rows of <see cref="Set"/>, when the source holds every row in memory; null when streaming.</summary>
    BatchPlan? Plan { get; }

    /// <summary>Per-feature mean and population standard deviation of the training rows.</summary>
    (float[] Mean, float[] Std) FeatureStatistics();

    /// <summary>Starts an epoch, shuffling with <paramref name="rng"/>.</summary>
    void StartEpoch(Random rng);

    /// <summary>
    /// Batch <paramref name="step"/> of the epoch (steps are taken in order, from 0), in tensors the next call overwrites.
    /// Call inside a dispose scope: a short batch's tensors are views the scope disposes.
    /// </summary>
    Batch Next(int step);
}
