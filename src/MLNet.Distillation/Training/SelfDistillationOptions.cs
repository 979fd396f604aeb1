using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Training;

/// <summary>Which network teaches the student in self-distillation (<see cref="SelfDistillationOptions"/>).</summary>
public enum SelfDistillationMode
{
    /// <summary>
    /// Mean teacher (Tarvainen and Valpola 2017): an exponential moving average of the student's weights, updated after
    /// every optimiser step, teaches the student on every row — labelled or not — through the consistency term of the loss.
    /// </summary>
    MeanTeacher,
    /// <summary>
    /// Random teacher (Sarnthein et al. 2023, "Random Teachers are Good Teachers"): a first phase, without labels, distils a
    /// fixed randomly initialised network's representation into the student; the rest of the steps fine-tune it on the labels.
    /// </summary>
    RandomTeacher,
}

/// <summary>
/// Self-distillation without an ONNX teacher, set through <see cref="StudentOptions.SelfDistillation"/>: a mean teacher
/// (an exponential moving average of the student) or a random teacher. For multiclass and binary students, with
/// <see cref="StudentOptions.TeacherColumnName"/> left null; the student still needs labelled rows (at least some).
/// </summary>
public sealed class SelfDistillationOptions
{
    /// <summary>Mean teacher (default) or random teacher.</summary>
    public SelfDistillationMode Mode { get; set; } = SelfDistillationMode.MeanTeacher;

    // ---- mean teacher ---------------------------------------------------------------------

    /// <summary>
    /// Mean teacher: decay α of the exponential moving average θ′ ← α·θ′ + (1 − α)·θ, applied after every optimiser step
    /// (default 0.999; Tarvainen and Valpola use 0.99–0.999). As in their code, the t-th update uses min(α, 1 − 1/(t + 1)),
    /// a true average of the weights so far until the moving average is the better estimate; 0 makes the teacher the student.
    /// </summary>
    public double EmaDecay { get; set; } = DefaultEmaDecay;

    /// <summary>
    /// Mean teacher, default loss: weight of the consistency term between the student and the mean teacher on every row
    /// (default 1), reached after <see cref="ConsistencyRampUp"/>.
    /// </summary>
    public double ConsistencyWeight { get; set; } = DefaultConsistencyWeight;

    /// <summary>
    /// Mean teacher, default loss: share of the epochs over which the consistency weight rises to
    /// <see cref="ConsistencyWeight"/> along Tarvainen and Valpola's sigmoid ramp-up exp(−5·(1 − t)²) (default 0.25; 0: the
    /// full weight from the first step), so that the student does not learn from a teacher that is still random.
    /// </summary>
    public double ConsistencyRampUp { get; set; } = DefaultConsistencyRampUp;

    /// <summary>
    /// Mean teacher, default loss: the consistency term is the symmetric cross-entropy of Robust Mean Teacher (Döbler et
    /// al. 2023), ½·H(teacher, student) + ½·H(student, teacher) (default true); false: KL(teacher ‖ student).
    /// </summary>
    public bool SymmetricCrossEntropy { get; set; } = true;

    /// <summary>
    /// Mean teacher, default loss: share of each batch's rows, those the mean teacher is most confident on, left out of the
    /// consistency term (default 0) — the row analogue of MHIM-MIL's masking of the instances its teacher finds easiest
    /// (Tang et al. 2023), so the consistency concentrates on the hard rows. Labelled rows keep their label term.
    /// </summary>
    public double MaskEasyFraction { get; set; }

    /// <summary>
    /// Mean teacher: standard deviation of the Gaussian noise added to the student's view of every row, in units of each
    /// feature's standard deviation (default 0.1; 0: none). Tabular rows have no augmentations: the noise gives the student
    /// a view that differs from the teacher's (the teacher sees the clean row), which the consistency term then evens out.
    /// </summary>
    public double InputNoise { get; set; } = DefaultInputNoise;

    /// <summary>
    /// Mean teacher: whether the fit keeps (validates, selects the best epoch of, and returns) the mean teacher rather than
    /// the student (default true: Tarvainen and Valpola report the moving average as the more accurate of the two).
    /// </summary>
    public bool KeepMeanTeacher { get; set; } = true;

    // ---- random teacher -------------------------------------------------------------------

    /// <summary>
    /// Random teacher: share of the fit's optimisation steps spent distilling the random teacher's representation, without
    /// labels (default 0.3); the rest fine-tune on the labels with <see cref="StudentOptions.Loss"/>.
    /// </summary>
    public double RandomTeacherFraction { get; set; } = DefaultRandomTeacherFraction;

    /// <summary>
    /// Random teacher: width of each of the random teacher's hidden layers (as many as the student's); <c>null</c> (default):
    /// the student's own widths, as in the paper, where teacher and student share the architecture.
    /// </summary>
    public int? RandomTeacherWidth { get; set; }

    /// <summary>
    /// Random teacher: output dimension K of the DINO-style heads the representations are compared through (default 1024;
    /// the paper uses 65,536 on images).
    /// </summary>
    public int RandomTeacherOutputs { get; set; } = DefaultRandomTeacherOutputs;

    internal const double DefaultEmaDecay = 0.999;
    internal const double DefaultConsistencyWeight = 1;
    internal const double DefaultConsistencyRampUp = 0.25;
    internal const double DefaultInputNoise = 0.1;
    internal const double DefaultRandomTeacherFraction = 0.3;
    internal const int DefaultRandomTeacherOutputs = 1024;

    /// <summary>What the log says about the mode.</summary>
    internal string Describe() => Mode == SelfDistillationMode.MeanTeacher
        ? $"mean teacher (EMA decay {EmaDecay:G4}, input noise {InputNoise:G3}, keeping the {(KeepMeanTeacher ? "mean teacher" : "student")})"
        : $"random teacher ({RandomTeacherFraction:P0} of the steps, teacher width {(RandomTeacherWidth is int w ? w.ToString(System.Globalization.CultureInfo.InvariantCulture) : "as the student")}, K = {RandomTeacherOutputs})";

    /// <summary>
    /// The loss of a fit with these options and no <see cref="StudentOptions.Loss"/>: for the mean teacher, cross-entropy on
    /// the labelled rows plus the weighted consistency with the mean teacher on every row (<see cref="MeanTeacherLoss"/>);
    /// null for the random teacher, whose second phase trains with the task's label loss.
    /// </summary>
    internal DistillationLoss? DefaultLoss() => Mode == SelfDistillationMode.MeanTeacher
        ? new MeanTeacherLoss(ConsistencyWeight, ConsistencyRampUp, SymmetricCrossEntropy, MaskEasyFraction)
        : null;

    /// <summary>Checks the values and their combination with the rest of <paramref name="o"/>, with a message naming the option, the value and what to do.</summary>
    internal void Validate(StudentOptions o, DistillationTask task)
    {
        if (task is not (DistillationTask.MulticlassClassification or DistillationTask.BinaryClassification))
            throw new ArgumentException($"StudentOptions.SelfDistillation works with multiclass and binary students; a {task} student has no class distribution for a mean or random teacher to match. Leave it null.", nameof(o.SelfDistillation));
        if (TrainingSet.TeacherColumns(o) is { Length: > 0 } teachers)
            throw new ArgumentException($"StudentOptions.SelfDistillation teaches the student with its own {(Mode == SelfDistillationMode.MeanTeacher ? "mean" : "random")} teacher, and teacher column(s) [{string.Join(", ", teachers)}] are set too: " +
                "the network's own teacher takes the teacher's place in the loss. Set TeacherColumnName / TeacherColumnNames to null to self-distil, or SelfDistillation to null to distil the ONNX teacher.", nameof(o.SelfDistillation));
        if (o.TransferSet is not null)
            throw new ArgumentException("StudentOptions.TransferSet labels synthetic rows with an ONNX teacher, which self-distillation does not have. Set TransferSet to null with SelfDistillation (the mean teacher's InputNoise gives the student noisy views instead).", nameof(o.TransferSet));
        if (!Enum.IsDefined(Mode)) throw new ArgumentOutOfRangeException(nameof(Mode), Mode, "SelfDistillationOptions.Mode must be MeanTeacher or RandomTeacher.");
        if (EmaDecay is < 0 or > 1 || double.IsNaN(EmaDecay))
            throw new ArgumentOutOfRangeException(nameof(EmaDecay), EmaDecay, "SelfDistillationOptions.EmaDecay must lie in [0, 1] (typical 0.99–0.999; 0 makes the teacher the student).");
        if (!(ConsistencyWeight >= 0) || double.IsInfinity(ConsistencyWeight))
            throw new ArgumentOutOfRangeException(nameof(ConsistencyWeight), ConsistencyWeight, "SelfDistillationOptions.ConsistencyWeight must be a finite number ≥ 0 (default 1).");
        if (ConsistencyRampUp is < 0 or > 1 || double.IsNaN(ConsistencyRampUp))
            throw new ArgumentOutOfRangeException(nameof(ConsistencyRampUp), ConsistencyRampUp, "SelfDistillationOptions.ConsistencyRampUp is a share of the epochs and must lie in [0, 1] (default 0.25).");
        if (MaskEasyFraction is < 0 or >= 1 || double.IsNaN(MaskEasyFraction))
            throw new ArgumentOutOfRangeException(nameof(MaskEasyFraction), MaskEasyFraction, "SelfDistillationOptions.MaskEasyFraction is a share of each batch and must lie in [0, 1) (default 0: no masking).");
        if (!(InputNoise >= 0) || double.IsInfinity(InputNoise))
            throw new ArgumentOutOfRangeException(nameof(InputNoise), InputNoise, "SelfDistillationOptions.InputNoise must be a finite number ≥ 0, in feature standard deviations (default 0.1).");
        if (RandomTeacherFraction is <= 0 or >= 1 || double.IsNaN(RandomTeacherFraction))
            throw new ArgumentOutOfRangeException(nameof(RandomTeacherFraction), RandomTeacherFraction, "SelfDistillationOptions.RandomTeacherFraction is the share of steps in the random-teacher phase and must lie in (0, 1) (default 0.3).");
        if (RandomTeacherWidth is < 1)
            throw new ArgumentOutOfRangeException(nameof(RandomTeacherWidth), RandomTeacherWidth, "SelfDistillationOptions.RandomTeacherWidth must be at least 1 (or null: the student's widths).");
        if (RandomTeacherOutputs < 2)
            throw new ArgumentOutOfRangeException(nameof(RandomTeacherOutputs), RandomTeacherOutputs, "SelfDistillationOptions.RandomTeacherOutputs must be at least 2 (default 1024).");

        if (Mode == SelfDistillationMode.MeanTeacher)
        {
            if (o.Loss is { } own)
            {
                var shaping = LossShapingChanges();
                if (shaping.Length > 0)
                    throw new ArgumentException($"SelfDistillationOptions {string.Join(", ", shaping)} shape the default mean-teacher loss, but StudentOptions.Loss is set to '{own.Name}', which the mean teacher's outputs are given to as LossContext.Teacher. " +
                        "Leave StudentOptions.Loss null to use them, or leave them at their defaults with your own loss.", nameof(o.Loss));
            }
            var other = RandomTeacherChanges();
            if (other.Length > 0)
                throw new ArgumentException($"SelfDistillationOptions {string.Join(", ", other)} belong to the random teacher, but Mode is MeanTeacher. Set Mode = SelfDistillationMode.RandomTeacher, or leave them at their defaults.", nameof(Mode));
        }
        else
        {
            var other = LossShapingChanges().Concat(MeanTeacherOnlyChanges()).ToArray();
            if (other.Length > 0)
                throw new ArgumentException($"SelfDistillationOptions {string.Join(", ", other)} belong to the mean teacher, but Mode is RandomTeacher. Set Mode = SelfDistillationMode.MeanTeacher, or leave them at their defaults.", nameof(Mode));
            if (o.HiddenLayers is { Length: 0 })
                throw new ArgumentException("The random teacher distils a representation into the student's last hidden layer, and StudentOptions.HiddenLayers is empty (a linear student). Give the student a hidden layer (e.g. [128]).", nameof(o.HiddenLayers));
        }
    }

    private string[] LossShapingChanges() => new[]
    {
        ConsistencyWeight != DefaultConsistencyWeight ? $"ConsistencyWeight ({ConsistencyWeight:G4})" : null,
        ConsistencyRampUp != DefaultConsistencyRampUp ? $"ConsistencyRampUp ({ConsistencyRampUp:G4})" : null,
        !SymmetricCrossEntropy ? "SymmetricCrossEntropy (false)" : null,
        MaskEasyFraction != 0 ? $"MaskEasyFraction ({MaskEasyFraction:G4})" : null,
    }.OfType<string>().ToArray();

    private string[] MeanTeacherOnlyChanges() => new[]
    {
        EmaDecay != DefaultEmaDecay ? $"EmaDecay ({EmaDecay:G4})" : null,
        InputNoise != DefaultInputNoise ? $"InputNoise ({InputNoise:G4})" : null,
        !KeepMeanTeacher ? "KeepMeanTeacher (false)" : null,
    }.OfType<string>().ToArray();

    private string[] RandomTeacherChanges() => new[]
    {
        RandomTeacherFraction != DefaultRandomTeacherFraction ? $"RandomTeacherFraction ({RandomTeacherFraction:G4})" : null,
        RandomTeacherWidth is int w ? $"RandomTeacherWidth ({w})" : null,
        RandomTeacherOutputs != DefaultRandomTeacherOutputs ? $"RandomTeacherOutputs ({RandomTeacherOutputs})" : null,
    }.OfType<string>().ToArray();
}
