using System.Globalization;

namespace MLNet.Distillation.Progress;

/// <summary>Which pass over the rows a <see cref="LoadingProgress"/> reports on.</summary>
public enum LoadingStage
{
    /// <summary>
    /// The teacher runs over every row to write the soft-label cache (<c>DistillOptions.CachePath</c>); no row reaches the
    /// student before it ends.
    /// </summary>
    TeacherPass,

    /// <summary>
    /// The student trainer reads the training rows into memory. Without a soft-label cache this pass also runs the teacher:
    /// <c>Distill</c> is lazy and scores each batch as the trainer reads it.
    /// </summary>
    TrainingRows,

    /// <summary>The student trainer reads the validation rows passed to <c>Fit(train, validation)</c>.</summary>
    ValidationRows,
}

/// <summary>
/// How far a long pass over the data has come: reported when it starts, at least once a second while it runs, and when it
/// ends — through <c>StudentOptions.LoadingProgress</c> (and <c>DistillOptions.Progress</c> for the teacher pass)
/// and as a line in <c>MLContext.Log</c>, like <c>EpochProgress</c> for the epochs that follow.
/// </summary>
public sealed record LoadingProgress
{
    /// <summary>The pass this report is about.</summary>
    public LoadingStage Stage { get; init; }

    /// <summary>Rows done so far.</summary>
    public long Rows { get; init; }

    /// <summary>Rows in the pass when the data knows its row count (<c>IDataView.GetRowCount()</c>), otherwise null.</summary>
    public long? TotalRows { get; init; }

    /// <summary>Time since the pass started.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Mean rate since the pass started (0 before the first row).</summary>
    public double RowsPerSecond { get; init; }

    /// <summary>Time left at the mean rate so far; null when the row count is unknown or no row is done yet.</summary>
    public TimeSpan? EstimatedRemaining { get; init; }

    /// <summary>True for the last report of the pass, sent when every row has been read.</summary>
    public bool IsFinished { get; init; }

    /// <summary>One readable line for logs.</summary>
    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        string what = Stage switch
        {
            LoadingStage.TeacherPass => "teacher pass (soft-label cache)",
            LoadingStage.ValidationRows => "reading validation rows",
            _ => "reading training rows",
        };
        string rows = TotalRows is long total && total > 0
            ? string.Format(inv, "{0:N0} of {1:N0} rows ({2:0}%)", Rows, total, 100.0 * Rows / total)
            : string.Format(inv, "{0:N0} rows", Rows);
        var parts = new List<string> { $"{what}: {rows}" };
        if (Rows > 0) parts.Add(string.Format(inv, "{0:N0} rows/s", RowsPerSecond));
        parts.Add(IsFinished ? $"done in {Duration(Elapsed)}" : $"{Duration(Elapsed)} elapsed");
        if (!IsFinished && EstimatedRemaining is { } left) parts.Add($"about {Duration(left)} left");
        return string.Join(" | ", parts);
    }

    private static string Duration(TimeSpan t)
        => t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes} min"
            : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes} min {t.Seconds} s"
            : t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
}
