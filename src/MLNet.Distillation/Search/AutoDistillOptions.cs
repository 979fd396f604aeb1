using MLNet.Distillation.Training;

namespace MLNet.Distillation.Search;

/// <summary>Options of <c>mlContext.MulticlassClassification.Trainers.AutoDistill(...)</c>.</summary>
public sealed class AutoDistillOptions
{
    /// <summary>
    /// Everything that is not searched — columns, architecture, optimiser, batch size, learning rate, schedule, seed — and
    /// the largest number of epochs (<see cref="StudentOptions.Epochs"/>, reached by the last rung). Its Loss and TransferSet are ignored.
    /// </summary>
    public StudentOptions Student { get; set; } = new();

    /// <summary>Candidates to search; null (default) uses <see cref="AutoDistillCandidate.DefaultSpace"/>. Scratch is added if missing.</summary>
    public IReadOnlyList<AutoDistillCandidate>? Candidates { get; set; }

    /// <summary>Fraction of the rows (seeded) held out to score candidates (default 0.2). The winner is refit on all rows.</summary>
    public double ValidationFraction { get; set; } = 0.2;

    /// <summary>Successive-halving reduction factor η: each rung keeps the best 1/η (default 3).</summary>
    public int ReductionFactor { get; set; } = 3;

    /// <summary>Number of rungs; rung r trains for Epochs / η^(rungs−1−r) epochs (default 3).</summary>
    public int Rungs { get; set; } = 3;

    /// <summary>Largest number of training runs (trials) before the search stops promoting (default: no limit).</summary>
    public int? MaxTrials { get; set; }

    /// <summary>Wall-time budget; when spent, no new trial starts (default: none). A time budget makes the search depend on machine speed.</summary>
    public TimeSpan? TimeBudget { get; set; }

    /// <summary>What ranks candidates on the validation rows (default accuracy; ties broken by agreement with the teacher, then log-loss).</summary>
    public EarlyStoppingMetric Metric { get; set; } = EarlyStoppingMetric.Accuracy;

    /// <summary>Receives each finished trial (also logged to <c>MLContext.Log</c>).</summary>
    public Action<AutoDistillTrial>? Progress { get; set; }
}
