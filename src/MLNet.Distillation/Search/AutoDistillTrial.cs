namespace MLNet.Distillation.Search;

/// <summary>One training run of the search: a candidate trained for a rung's epochs and scored on the validation rows.</summary>
public sealed record AutoDistillTrial
{
    /// <summary>Candidate name.</summary>
    public required string Candidate { get; init; }

    /// <summary>Zero-based rung.</summary>
    public int Rung { get; init; }

    /// <summary>Epochs trained.</summary>
    public int Epochs { get; init; }

    /// <summary>Validation accuracy against the labels.</summary>
    public double Accuracy { get; init; } = double.NaN;

    /// <summary>Validation log-loss against the labels.</summary>
    public double LogLoss { get; init; } = double.NaN;

    /// <summary>Agreement with the teacher on the validation rows (top class; for ranking, pairs ordered as the teacher orders them).</summary>
    public double TeacherAgreement { get; init; } = double.NaN;

    /// <summary>Regression: validation RMSE against the labels, in the targets' units (NaN for the other tasks).</summary>
    public double Rmse { get; init; } = double.NaN;

    /// <summary>Ranking: validation NDCG@10 (NaN for the other tasks).</summary>
    public double Ndcg { get; init; } = double.NaN;

    /// <summary>
    /// Per validation row (regression: squared error, mean over outputs) or per group (ranking: NDCG@10) of the trial's
    /// network, for the paired comparison with the incumbent; null for classification.
    /// </summary>
    internal double[]? Units { get; init; }

    /// <summary>Wall time of the trial.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Whether the candidate went on to the next rung (or, in the last rung, won).</summary>
    public bool Promoted { get; init; }

    /// <summary>Whether this is the scratch baseline.</summary>
    public bool IsScratch { get; init; }
}
