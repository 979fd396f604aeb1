using MLNet.Distillation.Training;

namespace MLNet.Distillation.Search;

/// <summary>Options of <c>mlContext.MulticlassClassification.Trainers.AutoDistill(...)</c>.</summary>
public sealed class AutoDistillOptions
{
    /// <summary>
    /// Everything that is not searched — columns, architecture, optimiser, batch size, seed, and the learning rate and
    /// schedule of candidates that do not set their own — and
    /// the largest number of epochs (<see cref="StudentOptions.Epochs"/>, raised by <see cref="StudentOptions.MinimumSteps"/>,
    /// reached by the last rung). Its Loss, TransferSet and ValidationFraction must stay unset: AutoDistill chooses those itself.
    /// </summary>
    public StudentOptions Student { get; set; } = new();

    /// <summary>Candidates to search; null (default) uses <see cref="AutoDistillCandidate.DefaultSpace(string, int[])"/> (multiclass) or <see cref="AutoDistillCandidate.DefaultSpace(Losses.DistillationTask)"/>. Scratch is added if missing.</summary>
    public IReadOnlyList<AutoDistillCandidate>? Candidates { get; set; }

    /// <summary>Fraction of the rows (seeded) held out to score candidates (default 0.2). The winner is refit on all rows.</summary>
    public double ValidationFraction { get; set; } = 0.2;

    /// <summary>Successive-halving reduction factor η: each rung keeps the best 1/η (default 3).</summary>
    public int ReductionFactor { get; set; } = 3;

    /// <summary>Number of rungs; rung r trains for Epochs / η^(rungs−1−r) epochs, never fewer than <see cref="MinimumTrialSteps"/> steps (default 2).</summary>
    public int Rungs { get; set; } = 2;

    /// <summary>
    /// The fewest optimisation steps of any trial (default 1,000; capped at the full run): a candidate is never eliminated
    /// before it has trained this long. Distillation at higher temperatures converges more slowly than cross-entropy, and
    /// a rung of a few epochs would eliminate it for that alone.
    /// </summary>
    public int MinimumTrialSteps { get; set; } = 1000;

    /// <summary>Largest number of training runs (trials) before the search stops promoting (default: no limit).</summary>
    public int? MaxTrials { get; set; }

    /// <summary>Wall-time budget; when spent, no new trial starts (default: none). A time budget makes the search depend on machine speed.</summary>
    public TimeSpan? TimeBudget { get; set; }

    /// <summary>What ranks candidates on the validation rows (default accuracy; ties broken by agreement with the teacher, then log-loss).</summary>
    public EarlyStoppingMetric Metric { get; set; } = EarlyStoppingMetric.Accuracy;

    /// <summary>Receives each finished trial (also logged to <c>MLContext.Log</c>).</summary>
    public Action<AutoDistillTrial>? Progress { get; set; }

    /// <summary>
    /// Cancels the search: checked while the rows are read, before every trial and before every optimisation step of a
    /// trial or of the final refit; <c>Fit</c> then throws <see cref="OperationCanceledException"/>. The
    /// <see cref="StudentOptions.CancellationToken"/> of <see cref="Student"/> cancels it as well. Default: none.
    /// </summary>
    public CancellationToken CancellationToken { get; set; }
}
