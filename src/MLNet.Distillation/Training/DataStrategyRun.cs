using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Training;

/// <summary>
/// A <see cref="DataStrategy"/> bound to one fit's rows. The training loop asks it, in order: which rows to train on
/// (<see cref="Select"/>), how to refill each epoch's row order (<see cref="Resample"/>), the loss weight of each row
/// (<see cref="RowWeights"/>), and tells it after each epoch's validation (<see cref="AfterEpoch"/>).
/// </summary>
internal abstract class DataStrategyRun
{
    protected DataStrategyRun(DataStrategy strategy) => Strategy = strategy;

    public DataStrategy Strategy { get; }

    /// <summary>The rows the student trains on: <paramref name="train"/> itself or a subset view of it.</summary>
    public virtual TrainingSet Select(TrainingSet train, int seed) => train;

    /// <summary>Whether <see cref="Resample"/> replaces each epoch's shuffled order.</summary>
    public virtual bool Resamples => false;

    /// <summary>Refills <paramref name="order"/> (rows of the selected set) for a new epoch.</summary>
    public virtual void Resample(int[] order, Random rng) { }

    /// <summary>Loss weight of each row of the selected set; null: all 1.</summary>
    public virtual float[]? RowWeights => null;

    /// <summary>Called after each epoch's validation with the student's logits on the validation rows [rows, K] (computed only when <see cref="NeedsValidationOutputs"/>).</summary>
    public virtual void AfterEpoch(TrainingSet validation, float[] validationLogits, int epoch, Action<string> log) { }

    /// <summary>Whether <see cref="AfterEpoch"/> needs the student's outputs on the validation rows.</summary>
    public virtual bool NeedsValidationOutputs => false;

    /// <summary>Adds the strategy's own figures to the report the loop fills in.</summary>
    public virtual DataStrategyReport Describe(DataStrategyReport report) => report;

    /// <summary>Checks that the loss can apply the strategy.</summary>
    public void Check(DistillationLoss loss)
    {
        if (RowWeights is not null && !loss.SupportsRowWeights)
            throw new ArgumentException($"StudentOptions.DataStrategy {Strategy.Name} weights each row's loss, but loss '{loss.Name}' ignores LossContext.RowWeights. " +
                "Use the default loss, DistillationLoss.Hinton, TeacherCorrected or CrossEntropy.", nameof(StudentOptions.Loss));
    }
}
