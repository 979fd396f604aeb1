using System.Globalization;
using System.Text.RegularExpressions;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Distillation.Training;

/// <summary>
/// The checkpoints of one fit (<see cref="StudentOptions.Checkpoint"/>): when they are due, writing one (atomically, then
/// deleting all but the newest <see cref="CheckpointOptions.KeepLast"/>), and resuming — finding the checkpoint, refusing a
/// damaged one or one of another fit by name, and putting its tensors back into the student, the loss, the optimiser, the
/// mean teacher and TorchSharp's generator. The loop's own counters travel as a <see cref="LoopCheckpoint"/>.
/// </summary>
internal sealed partial class FitCheckpoints
{
    private readonly CheckpointOptions _c;
    private readonly CheckpointFingerprint _fingerprint;
    private readonly MlpStudent _model;
    private readonly DistillationLoss _loss;
    private readonly optim.Optimizer _optimizer;
    private readonly MeanTeacher? _meanTeacher;
    private readonly Action<string> _log;
    private long _lastSavedStep;

    private FitCheckpoints(CheckpointOptions c, CheckpointFingerprint fingerprint, MlpStudent model, DistillationLoss loss, optim.Optimizer optimizer,
        MeanTeacher? meanTeacher, Action<string> log)
    {
        _c = c;
        _fingerprint = fingerprint;
        _model = model;
        _loss = loss;
        _optimizer = optimizer;
        _meanTeacher = meanTeacher;
        _log = log;
    }

    /// <summary>
    /// Throws, naming the option, when <paramref name="o"/>'s checkpoint options are invalid or its fit cannot be
    /// checkpointed; call before any work.
    /// </summary>
    public static void CheckSupported(StudentOptions o, DistillationLoss loss)
    {
        if (o.Checkpoint is not { } c) return;
        if (string.IsNullOrWhiteSpace(c.Directory) && string.IsNullOrWhiteSpace(c.ResumeFrom))
            throw new ArgumentException("StudentOptions.Checkpoint is set without CheckpointOptions.Directory: set it to the folder the checkpoints are written to and resumed from (one folder per fit).");
        if (c.EverySteps is int s && s <= 0)
            throw new ArgumentOutOfRangeException(nameof(o.Checkpoint), s, "CheckpointOptions.EverySteps must be a positive number of optimisation steps, or null to checkpoint by epochs only.");
        if (c.EveryEpochs is int e && e <= 0)
            throw new ArgumentOutOfRangeException(nameof(o.Checkpoint), e, "CheckpointOptions.EveryEpochs must be a positive number of epochs, or null to checkpoint by steps only (or every epoch when EverySteps is null too).");
        if (c.KeepLast < 1)
            throw new ArgumentOutOfRangeException(nameof(o.Checkpoint), c.KeepLast, "CheckpointOptions.KeepLast must be at least 1: the newest checkpoint is the one a fit resumes from.");
        if (o.TransferSet is not null)
            throw new NotSupportedException("StudentOptions.Checkpoint cannot be combined with StudentOptions.TransferSet: the transfer set's row generator and its online teacher's batches are not saved, so a resumed fit could not continue exactly. Train with one or the other.");
        if (o.SelfDistillation is { Mode: SelfDistillationMode.RandomTeacher })
            throw new NotSupportedException("StudentOptions.Checkpoint cannot be combined with StudentOptions.SelfDistillation in RandomTeacher mode: the label-free first phase (its DINO heads, centre and optimiser) is not saved. Use the mean teacher (SelfDistillationMode.MeanTeacher), which checkpoints, or train without checkpoints.");
        if (o.DataStrategy is DomainReweighting)
            throw new NotSupportedException($"StudentOptions.Checkpoint cannot be combined with StudentOptions.DataStrategy {o.DataStrategy.Name}: its domain weights change after every epoch and redraw each epoch's rows, which checkpoints do not save. Train it without checkpoints; pruning, reference selection and out-of-domain weighting checkpoint.");
        if (o.Architecture is not (null or CnnArchitecture))
            throw new NotSupportedException($"StudentOptions.Checkpoint cannot save a student with StudentOptions.Architecture '{o.Architecture.Describe()}' yet (only the plain MLP and the CNN). Train it without checkpoints.");
        if (loss.CheckpointRefusal is { } refusal)
            throw new NotSupportedException("StudentOptions.Checkpoint: " + refusal);
    }

    /// <summary>The checkpoints of <paramref name="o"/>'s fit, or null when it has none; <see cref="CheckSupported"/> first.</summary>
    public static FitCheckpoints? For(StudentOptions o, CheckpointFingerprint fingerprint, MlpStudent model, DistillationLoss loss, optim.Optimizer optimizer,
        MeanTeacher? meanTeacher, Action<string> log)
    {
        if (o.Checkpoint is not { } c) return null;
        CheckSupported(o, loss);
        if (optimizer is not OptimizerHelper)
            throw new NotSupportedException($"StudentOptions.Checkpoint cannot save the state of optimiser {optimizer.GetType().Name}.");
        return new FitCheckpoints(c, fingerprint, model, loss, optimizer, meanTeacher, log);
    }

    /// <summary>
    /// Brings <paramref name="rng"/> and <paramref name="source"/> to where they stood after <paramref name="epochs"/>
    /// finished epochs, without training: each epoch starts again (the shuffle draws); a streamed source also reads each
    /// epoch's batches, since its shuffle buffer draws from <paramref name="rng"/> as it goes.
    /// </summary>
    public static void ReplayEpochs(IBatchSource source, Random rng, int epochs)
    {
        for (int e = 0; e < epochs; e++)
        {
            source.StartEpoch(rng);
            SkipBatches(source, source.StepsPerEpoch);
        }
    }

    /// <summary>
    /// Takes the epoch's first <paramref name="steps"/> batches from a streamed <paramref name="source"/> and drops them, so
    /// that the next batch is the one an uninterrupted fit would train on next; rows in memory need nothing (their batches
    /// are cut from the epoch's order).
    /// </summary>
    public static void SkipBatches(IBatchSource source, int steps)
    {
        if (source.Plan is not null) return;
        for (int s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            source.Next(s);
        }
    }

    /// <summary>The file name of the checkpoint after <paramref name="step"/> steps.</summary>
    public static string FileName(long step) => $"checkpoint-{step.ToString("D10", CultureInfo.InvariantCulture)}.ckpt";

    [GeneratedRegex(@"^checkpoint-(\d+)\.ckpt$")]
    private static partial Regex FileNamePattern();

    /// <summary>The checkpoints in <paramref name="folder"/>, newest (most steps) first.</summary>
    public static IReadOnlyList<(string Path, long Step)> List(string folder)
    {
        if (!System.IO.Directory.Exists(folder)) return [];
        return System.IO.Directory.EnumerateFiles(folder)
            .Select(p => (Path: p, Match: FileNamePattern().Match(System.IO.Path.GetFileName(p))))
            .Where(x => x.Match.Success && long.TryParse(x.Match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Select(x => (x.Path, Step: long.Parse(x.Match.Groups[1].Value, CultureInfo.InvariantCulture)))
            .OrderByDescending(x => x.Step)
            .ToArray();
    }

    /// <summary>Whether a checkpoint is due after <paramref name="step"/> steps, inside an epoch (one due on an epoch's last step waits for its end).</summary>
    public bool DueAfterStep(long step, bool lastOfEpoch)
        => _c.Directory is not null && !lastOfEpoch && _c.EverySteps is int s && step % s == 0;

    /// <summary>Whether a checkpoint is due at the end of epoch <paramref name="epochsDone"/> (one-based) of <paramref name="totalEpochs"/>, after <paramref name="step"/> steps.</summary>
    public bool DueAtEpochEnd(int epochsDone, int totalEpochs, long step, CheckpointStop stop)
    {
        if (_c.Directory is null) return false;
        if (stop != CheckpointStop.None || epochsDone == totalEpochs) return true;
        if ((_c.EveryEpochs ?? (_c.EverySteps is null ? 1 : (int?)null)) is int e && epochsDone % e == 0) return true;
        return _c.EverySteps is int s && step / s > _lastSavedStep / s;
    }

    /// <summary>Writes the checkpoint of <paramref name="loop"/> and the live tensors, then deletes older ones beyond <see cref="CheckpointOptions.KeepLast"/>.</summary>
    public void Save(LoopCheckpoint loop)
    {
        var folder = _c.Directory!;
        var path = System.IO.Path.Combine(folder, FileName(loop.Step));
        using (NewDisposeScope())
        {
            var tensors = new Dictionary<string, Tensor>();
            foreach (var (name, p) in _model.named_parameters()) tensors[StudentPrefix + name] = p;
            foreach (var (name, b) in _model.named_buffers()) tensors[BufferPrefix + name] = b;
            int i = 0;
            foreach (var p in _loss.Parameters()) tensors[LossParameterPrefix + (i++).ToString(CultureInfo.InvariantCulture)] = p;
            _loss.SaveState(tensors, LossStatePrefix);
            _meanTeacher?.SaveState(tensors);
            tensors[RngName] = torch.get_rng_state();
            var optimizer = new MemoryStream();
            using (var w = new BinaryWriter(optimizer)) ((OptimizerHelper)_optimizer).save_state_dict(w);
            AtomicFile.Write(path, s => CheckpointFile.Write(s, _fingerprint, loop, tensors, optimizer.ToArray()),
                "Set CheckpointOptions.Directory to a folder this process can create and write to.");
        }
        _lastSavedStep = loop.Step;
        _log($"Checkpoint written after epoch {loop.Epoch + (loop.StepInEpoch > 0 ? 1 : 0)}, step {loop.Step}: {path}.");
        foreach (var (old, _) in List(folder).Where(x => x.Step <= loop.Step).Skip(_c.KeepLast))
        {
            try { File.Delete(old); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { _log($"Could not delete the old checkpoint '{old}': {e.Message}"); }
        }
    }

    /// <summary>
    /// Restores the checkpoint this fit resumes from — <see cref="CheckpointOptions.ResumeFrom"/>, else the newest one in
    /// <see cref="CheckpointOptions.Directory"/> — and returns the loop's position; null when there is none to resume.
    /// Call after the student, loss, optimiser and mean teacher are built (under the fit's seed).
    /// </summary>
    public LoopCheckpoint? Resume()
    {
        var path = ResumePath();
        if (path is null) return null;
        var contents = CheckpointFile.Read(path);
        try
        {
            if (contents.Fingerprint.Differences(_fingerprint) is { } differences)
            {
                string seedHint = contents.Fingerprint["seed"] != _fingerprint["seed"]
                    ? $" To resume it, set StudentOptions.Seed = {contents.Fingerprint["seed"]} (an MLContext without a seed makes a new one each run)."
                    : "";
                throw new InvalidOperationException($"Checkpoint '{path}' is from a different fit — {differences}.{seedHint} " +
                    "Resume it with the same data and options, or delete it (or choose another CheckpointOptions.Directory) to start over.");
            }
            var t = contents.Tensors;
            using (no_grad())
            {
                foreach (var (name, p) in _model.named_parameters()) Copy(path, t, StudentPrefix + name, p);
                foreach (var (name, b) in _model.named_buffers()) Copy(path, t, BufferPrefix + name, b);
                int i = 0;
                foreach (var p in _loss.Parameters()) Copy(path, t, LossParameterPrefix + (i++).ToString(CultureInfo.InvariantCulture), p);
            }
            _loss.LoadState(t, LossStatePrefix);
            _meanTeacher?.LoadState(t);
            using (var r = new BinaryReader(new MemoryStream(contents.OptimizerState))) ((OptimizerHelper)_optimizer).load_state_dict(r);
            torch.set_rng_state(Get(path, t, RngName));
        }
        finally
        {
            foreach (var tensor in contents.Tensors.Values) tensor.Dispose();
        }
        var loop = contents.Loop;
        _lastSavedStep = loop.Step;
        _log(loop.Stop != CheckpointStop.None
            ? $"Resuming from checkpoint '{path}': the fit had stopped after epoch {loop.Epoch} ({loop.Stop}); its result is returned as it was."
            : $"Resuming from checkpoint '{path}' at epoch {loop.Epoch + 1}, step {loop.StepInEpoch} of the epoch ({loop.Step} steps taken).");
        return loop;
    }

    private string? ResumePath()
    {
        if (!string.IsNullOrWhiteSpace(_c.ResumeFrom))
        {
            if (File.Exists(_c.ResumeFrom)) return _c.ResumeFrom;
            if (System.IO.Directory.Exists(_c.ResumeFrom))
                return List(_c.ResumeFrom).FirstOrDefault().Path
                    ?? throw new FileNotFoundException($"CheckpointOptions.ResumeFrom is the folder '{_c.ResumeFrom}', which holds no checkpoint (checkpoint-<step>.ckpt). Name a checkpoint file or a folder with one, or set ResumeFrom to null.", _c.ResumeFrom);
            throw new FileNotFoundException($"CheckpointOptions.ResumeFrom '{_c.ResumeFrom}' does not exist. Name a checkpoint file or a folder with one, or set ResumeFrom to null to resume from CheckpointOptions.Directory.", _c.ResumeFrom);
        }
        return List(_c.Directory!).FirstOrDefault().Path;
    }

    private static Tensor Get(string path, IReadOnlyDictionary<string, Tensor> tensors, string name)
        => tensors.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"Checkpoint '{path}' has no tensor '{name}', which this fit needs. Delete it to start over.");

    private static void Copy(string path, IReadOnlyDictionary<string, Tensor> tensors, string name, Tensor into)
    {
        var saved = Get(path, tensors, name);
        if (!saved.shape.SequenceEqual(into.shape) || saved.dtype != into.dtype)
            throw new InvalidDataException($"Checkpoint '{path}' holds tensor '{name}' as {saved.dtype} [{string.Join(", ", saved.shape)}], but this fit's is {into.dtype} [{string.Join(", ", into.shape)}]. Delete it to start over.");
        into.copy_(saved);
    }

    private const string StudentPrefix = "student.";
    private const string BufferPrefix = "student-buffer.";
    private const string LossParameterPrefix = "loss-parameter.";
    private const string LossStatePrefix = "loss-state.";
    private const string RngName = "torch-generator";
}
