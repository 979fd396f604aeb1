namespace MLNet.Distillation.Training;

/// <summary>
/// Checkpoints of a long student fit (<see cref="StudentOptions.Checkpoint"/>): every few steps or epochs the fit writes
/// everything its future depends on — the student's and the loss's weights, the optimiser's moments and step counts, the
/// random generators, the position in the epoch's batch order and the learning-rate schedule, the history so far, the best
/// weights and early-stopping counters — to one file in <see cref="Directory"/>, written atomically (a crash while writing
/// leaves the previous checkpoints intact and no partial file). A later <c>Fit</c> with the same data, options and seed
/// resumes from the newest checkpoint there and ends with the same weights and history, bit for bit on the CPU, as a fit
/// that was never interrupted.
/// </summary>
/// <remarks>
/// <para><b>Resuming is automatic</b>, because rerunning the same program after a crash is what a long fit's user does:
/// when <see cref="Directory"/> holds a checkpoint of this very fit, <c>Fit</c> continues from it (and says so in
/// <c>MLContext.Log</c>); when it holds a checkpoint of a different fit — other data, options, loss or seed — <c>Fit</c>
/// throws before training, naming every difference, rather than silently starting over or mixing two runs. To start over,
/// delete the folder or choose another one. A finished fit leaves its last checkpoint, so rerunning the program returns the
/// same student at once. <see cref="ResumeFrom"/> names a checkpoint explicitly (e.g. one copied from another machine).</para>
/// <para>The seed is part of the fit: with <see cref="StudentOptions.Seed"/> unset the seed comes from the
/// <c>MLContext</c>'s, so an <c>MLContext</c> without a seed makes a new seed each run and its checkpoint is refused;
/// the message names the checkpoint's seed, to set as <see cref="StudentOptions.Seed"/>.</para>
/// <para>Refused combinations (<c>Fit</c> throws before training): synthetic transfer sets
/// (<see cref="StudentOptions.TransferSet"/>), the random-teacher phase of <see cref="StudentOptions.SelfDistillation"/>,
/// TGeo-KD, <see cref="DataStrategy.DomainReweighting"/>, student bodies other than the CNN, and AutoDistill. The mean
/// teacher, the ND hint's class means, batch-norm statistics and the other data strategies are saved or recomputed. A loss defined outside this library
/// is saved through its <see cref="Losses.DistillationLoss.Parameters"/>; other state it keeps in its own fields is not.
/// Bit-identical results need the same machine kind and <see cref="StudentOptions.NumberOfThreads"/> (float sums may
/// be ordered differently by another thread count).</para>
/// </remarks>
public sealed class CheckpointOptions
{
    /// <summary>
    /// Folder the checkpoints are written to (created when missing), one file per checkpoint named
    /// <c>checkpoint-&lt;step&gt;.ckpt</c>, and that a fit resumes from. One fit per folder. Required unless only
    /// <see cref="ResumeFrom"/> is set (then the fit resumes but writes no checkpoint).
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>
    /// Write a checkpoint after every this many optimisation steps. <c>null</c> (default): by epochs only. With both this
    /// and <see cref="EveryEpochs"/> set, a checkpoint is written when either is due.
    /// </summary>
    public int? EverySteps { get; set; }

    /// <summary>
    /// Write a checkpoint after every this many epochs (after the epoch's validation and early-stopping decision).
    /// <c>null</c> (default): every epoch when <see cref="EverySteps"/> is not set, else by steps only. The last epoch,
    /// and an epoch that stops the fit early, are always checkpointed.
    /// </summary>
    public int? EveryEpochs { get; set; }

    /// <summary>Checkpoints kept in <see cref="Directory"/>: older ones are deleted after each write (default 2, at least 1).</summary>
    public int KeepLast { get; set; } = 2;

    /// <summary>
    /// A checkpoint file to resume from, or a folder to resume from the newest checkpoint in it, instead of the newest one in
    /// <see cref="Directory"/>. It must exist and come from the same fit. <c>null</c> (default): resume from
    /// <see cref="Directory"/> when it holds a checkpoint.
    /// </summary>
    public string? ResumeFrom { get; set; }
}
