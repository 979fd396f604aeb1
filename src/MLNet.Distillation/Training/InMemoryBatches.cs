namespace MLNet.Distillation.Training;

/// <summary>
/// The batches of rows held in memory (the default): each epoch shuffles the rows (or the groups) with the
/// <see cref="BatchPlan"/> and gathers each batch from the set's stores into reused tensors (<see cref="BatchTensors"/>).
/// </summary>
internal sealed class InMemoryBatches : IBatchSource
{
    private readonly BatchTensors _tensors;

    public InMemoryBatches(TrainingSet set, int batchSize)
    {
        Set = set;
        Plan = new BatchPlan(set, batchSize);
        _tensors = new BatchTensors(set, Plan.Capacity);
    }

    public TrainingSet Set { get; }
    public long Rows => Set.Rows;
    public BatchPlan Plan { get; }
    public int StepsPerEpoch => Plan.StepsPerEpoch;
    public int Capacity => Plan.Capacity;

    public (float[] Mean, float[] Std) FeatureStatistics()
    {
        var moments = new ColumnMoments(Set.FeatureCount);
        for (int r = 0; r < Set.Rows; r++) moments.Add(Set.FeatureRow(r));
        var (mean, std) = moments.MeanStd();
        return (mean.Select(m => (float)m).ToArray(), std.Select(s => (float)s).ToArray());
    }

    public void StartEpoch(Random rng) => Plan.Shuffle(rng);

    public Batch Next(int step) => _tensors.Fill(Plan.Batch(step));

    public void Dispose() => _tensors.Dispose();
}
