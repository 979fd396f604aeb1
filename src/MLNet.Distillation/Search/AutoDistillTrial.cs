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

    /// <summary>Top-1 agreement with the teacher on the validation rows.</summary>
    public double TeacherAgreement { get; init; } = double.NaN;

    /// <summary>Wall time of the trial.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Whether the candidate went on to the next rung (or, in the last rung, won).</summary>
    public bool Promoted { get; init; }

    /// <summary>Whether this is the scratch baseline.</summary>
    public bool IsScratch { get; init; }
}
