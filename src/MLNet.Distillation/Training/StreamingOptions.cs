using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Training;

/// <summary>
/// Streaming training (<see cref="StudentOptions.Streaming"/>): the student trains from the data view a window at a time
/// instead of reading every row into memory, so the data may be larger than memory.
/// <para>
/// <b>Passes.</b> A first pass reads every row once for what the fit needs before its first step: the row count (the
/// schedules span the whole run), the feature standardisation (exact, as in memory), the regression target scaling,
/// whether any row has a label, and — from its first <see cref="ShuffleBufferRows"/> rows — the class order of the teacher
/// (<see cref="StudentOptions.ClassAlignment"/>). Each epoch then reads the data again. A teacher upstream
/// (<c>mlContext.Transforms.Distill</c>) would run on every pass: give it a soft-label cache (<c>DistillOptions.CachePath</c>)
/// so that the first pass writes the teacher's outputs and every epoch reads them from the file.
/// </para>
/// <para>
/// <b>Shuffling.</b> Rows pass through a shuffle buffer of <see cref="ShuffleBufferRows"/> rows: each batch takes
/// <see cref="StudentOptions.BatchSize"/> rows at random from the buffer, and the next rows of the data take their slots,
/// so every row is trained on exactly once per epoch and a row moves at most about a buffer's length from its place in
/// the data. When the source can shuffle itself (<c>IDataView.CanShuffle</c>, e.g. ML.NET's binary files read with
/// <c>mlContext.Data.LoadFromBinary</c>) and <see cref="ShuffleSource"/> is on, each epoch also asks it for a new
/// random order. A soft-label cache serves its rows in the order written (it does not shuffle): with data sorted by class,
/// use a buffer large enough to mix the classes, or shuffle the data once before caching it.
/// </para>
/// <para>
/// <b>Memory.</b> The buffer holds rows × (features + teacher outputs + 1) × 4 bytes, plus a read window of a few rows
/// (under 80 KB per column); validation rows passed to <c>Fit(train, validation)</c> are read into memory as usual.
/// </para>
/// </summary>
public sealed class StreamingOptions
{
    /// <summary>Rows in the shuffle buffer (default 65,536: 208 MB at 784 features and 10 classes). At least <see cref="StudentOptions.BatchSize"/>.</summary>
    public int ShuffleBufferRows { get; set; } = 65_536;

    /// <summary>
    /// Ask a source that can shuffle (<c>IDataView.CanShuffle</c>) for a new random row order each epoch (default true);
    /// the shuffle buffer mixes the rows further.
    /// </summary>
    public bool ShuffleSource { get; set; } = true;

    /// <summary>
    /// The most optimisation steps of the fit (default null: every epoch whole). The fit stops after this many steps, even
    /// within an epoch, and the learning-rate schedule spans them — the one-pass mode ("one epoch is all you need") is
    /// <c>Epochs = 1</c> with a budget that ends the pass early, or none to see every row once.
    /// </summary>
    public long? MaxSteps { get; set; }

    /// <summary>
    /// Rows a window of the data holds before they move into the buffer: as many as keep the window's widest array under
    /// .NET's large-object threshold (85,000 bytes), 8 to 1,024. Windows are read and dropped all through a pass; large
    /// arrays would wait for a full collection: at 784 features, 1,024-row windows doubled the peak (docs/performance.md).
    /// </summary>
    internal static int WindowRows(int widestRow) => Math.Clamp(80_000 / (4 * Math.Max(1, widestRow)), 8, 1024);

    /// <summary>Refuses settings streaming cannot honour, naming the option, the value and what to do.</summary>
    internal void Validate(StudentOptions o, DistillationTask task)
    {
        if (ShuffleBufferRows < o.BatchSize)
            throw new ArgumentOutOfRangeException(nameof(ShuffleBufferRows), ShuffleBufferRows,
                $"StudentOptions.Streaming.ShuffleBufferRows ({ShuffleBufferRows}) is smaller than StudentOptions.BatchSize ({o.BatchSize}): a batch is drawn from the buffer. Make the buffer at least a batch — far larger, e.g. 65,536 rows, to shuffle well.");
        if (MaxSteps is < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "StudentOptions.Streaming.MaxSteps must be at least 1 (or null: every epoch whole).");
        if (task == DistillationTask.Ranking)
            throw new ArgumentException("StudentOptions.Streaming does not train ranking students: their batches hold whole queries, which a shuffle buffer would split. Train a ranking student in memory (Streaming = null).", nameof(StudentOptions.Streaming));
        if (o.TransferSet is not null)
            throw new ArgumentException("StudentOptions.Streaming does not work with StudentOptions.TransferSet: the transfer set draws its rows from the training rows in memory. Train in memory (Streaming = null) or leave TransferSet null.", nameof(StudentOptions.Streaming));
        if (o.DataStrategy is not null)
            throw new ArgumentException($"StudentOptions.Streaming does not work with StudentOptions.DataStrategy ({o.DataStrategy.Name}): the strategy chooses and weighs rows held in memory. Train in memory (Streaming = null), or select the rows upstream (e.g. mlContext.Data.FilterByCustomPredicate) and stream those.", nameof(StudentOptions.Streaming));
        if (o.ValidationFraction > 0)
            throw new ArgumentException($"StudentOptions.ValidationFraction is {o.ValidationFraction}, but a streamed fit does not hold rows back from a stream it never keeps. Pass validation rows to Fit(train, validation) instead — they are read into memory — and set ValidationFraction = 0.", nameof(StudentOptions.ValidationFraction));
    }

    internal StreamingOptions Clone() => (StreamingOptions)MemberwiseClone();
}
