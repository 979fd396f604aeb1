namespace MLNet.Distillation.Training;

/// <summary>
/// What a <see cref="DataStrategy"/> did in a fit, and the compute it saved or spent: reported with every epoch
/// (<see cref="EpochProgress.DataStrategy"/>) and logged when training starts.
/// </summary>
public sealed record DataStrategyReport
{
    /// <summary>The strategy (<see cref="DataStrategy.Name"/>).</summary>
    public required string Strategy { get; init; }

    /// <summary>Training rows the fit was given (after any validation split), each with a teacher output the teacher pass computed.</summary>
    public int TrainingRows { get; init; }

    /// <summary>Rows the student trains on: the kept subset (pruning, selection), or all training rows.</summary>
    public int RowsUsed { get; init; }

    /// <summary>Optimisation steps the fit plans (with the strategy).</summary>
    public long Steps { get; init; }

    /// <summary>Optimisation steps the same options plan on all training rows without the strategy.</summary>
    public long StepsWithoutStrategy { get; init; }

    /// <summary>Rows whose teacher outputs the student learns from (<see cref="RowsUsed"/> with a teacher; 0 without one).</summary>
    public int TeacherRowsUsed { get; init; }

    /// <summary>Extra forward passes of the student over validation rows the strategy made (DDK's gap measurements), so far.</summary>
    public long ExtraStudentRows { get; init; }

    /// <summary>DDK: the current sampling weight of each domain, by its value; empty otherwise.</summary>
    public IReadOnlyDictionary<string, double> DomainWeights { get; init; } = new Dictionary<string, double>();

    /// <summary>Out-of-domain weighting: the mean loss weight of the out-of-domain rows (NaN otherwise).</summary>
    public double MeanOutOfDomainWeight { get; init; } = double.NaN;

    /// <summary>Out-of-domain weighting: how many training rows are out of domain (0 otherwise).</summary>
    public int OutOfDomainRows { get; init; }

    /// <summary>One readable line for logs.</summary>
    public override string ToString()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var parts = new List<string>
        {
            string.Create(inv, $"{Strategy}: trains on {RowsUsed:N0} of {TrainingRows:N0} rows ({(TrainingRows == 0 ? 0 : RowsUsed / (double)TrainingRows):P0})"),
            string.Create(inv, $"{Steps:N0} steps ({StepsWithoutStrategy:N0} without the strategy)"),
            string.Create(inv, $"teacher outputs of {TeacherRowsUsed:N0} rows used, {TrainingRows:N0} computed"),
        };
        if (ExtraStudentRows > 0) parts.Add(string.Create(inv, $"{ExtraStudentRows:N0} extra student rows scored to measure the gap"));
        if (DomainWeights.Count > 0) parts.Add("domain weights " + string.Join(", ", DomainWeights.Select(d => string.Create(inv, $"{d.Key} {d.Value:F3}"))));
        if (OutOfDomainRows > 0) parts.Add(string.Create(inv, $"{OutOfDomainRows:N0} out-of-domain rows, mean weight {MeanOutOfDomainWeight:F3}"));
        return string.Join("; ", parts);
    }
}
