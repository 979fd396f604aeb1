namespace MLNet.Distillation.Training;

/// <summary>How synthetic transfer rows are made from a training batch; several flags mix (each row draws one).</summary>
[Flags]
public enum TransferAugmentation
{
    /// <summary>No synthetic rows.</summary>
    None = 0,
    /// <summary>Adds Gaussian noise of <see cref="TransferSetOptions.NoiseStd"/> × each feature's standard deviation.</summary>
    GaussianNoise = 1,
    /// <summary>Zeroes each feature with probability <see cref="TransferSetOptions.FeatureDropout"/>.</summary>
    FeatureDropout = 2,
    /// <summary>Mixup (Zhang et al. 2018): λ·xᵢ + (1−λ)·xⱼ with λ ~ Beta(α, α) and j another row of the batch.</summary>
    Mixup = 4,
    /// <summary>CutMix (Yun et al. 2019): a rectangle of another row's image pasted in; needs <see cref="TransferSetOptions.ImageShape"/>.</summary>
    CutMix = 8,
    /// <summary>Random shifts by up to <see cref="TransferSetOptions.MaxShift"/> pixels (zero padding, i.e. a padded crop) and horizontal flips; needs <see cref="TransferSetOptions.ImageShape"/>.</summary>
    ShiftFlip = 16,
    /// <summary>MUNGE (Bucilă, Caruana and Niculescu-Mizil 2006) for tabular rows: per feature, with probability p, a draw near the nearest neighbour's value (neighbours within the batch).</summary>
    Munge = 32,
    /// <summary>
    /// Adversarial rows (FGSM/PGD, <see cref="TransferSetOptions.Attack"/>) made from the batch with the student's own input
    /// gradient at every step — the data of multi-teacher adversarial distillation (<see cref="Losses.RobustMultiTeacherLoss"/>:
    /// <see cref="TransferSetOptions.TeacherModelPath"/> the robust teacher, the teacher column the clean one). Cannot be
    /// mixed with the other generators.
    /// </summary>
    Adversarial = 64,
}

/// <summary>
/// A synthetic transfer set labelled online by the teacher (Bucilă et al. 2006; Hinton et al. 2015 §3): every training
/// step makes <see cref="RowsPerRealRow"/> × batch new rows from the batch, scores them with the teacher in one batched
/// ONNX Runtime call — the teacher and the student see the same view — and trains on them as unlabelled rows.
/// </summary>
public sealed class TransferSetOptions
{
    /// <summary>The teacher's ONNX file; its single float input must take the student's feature vector (reshaped as needed). Required.</summary>
    public string TeacherModelPath { get; set; } = "";

    /// <summary>Name of the teacher output to use (default: its first output). It must score the same classes as the teacher column.</summary>
    public string? TeacherOutputName { get; set; }

    /// <summary>Which generators to use (default <see cref="TransferAugmentation.Mixup"/>).</summary>
    public TransferAugmentation Augmentations { get; set; } = TransferAugmentation.Mixup;

    /// <summary>Synthetic rows per real row in each step (default 1).</summary>
    public double RowsPerRealRow { get; set; } = 1.0;

    /// <summary>Noise standard deviation in units of each feature's standard deviation (default 0.1).</summary>
    public double NoiseStd { get; set; } = 0.1;

    /// <summary>Probability of zeroing a feature (default 0.1).</summary>
    public double FeatureDropout { get; set; } = 0.1;

    /// <summary>Mixup/CutMix Beta(α, α) parameter (default 0.4).</summary>
    public double MixupAlpha { get; set; } = 0.4;

    /// <summary>Image layout of the feature vector as [channels, height, width] (e.g. [1, 28, 28]) for CutMix and ShiftFlip; null (default) takes a CNN student's image shape.</summary>
    public int[]? ImageShape { get; set; }

    /// <summary>Largest shift in pixels for ShiftFlip (default 2).</summary>
    public int MaxShift { get; set; } = 2;

    /// <summary>Whether ShiftFlip also flips horizontally with probability ½ (default true).</summary>
    public bool HorizontalFlip { get; set; } = true;

    /// <summary>MUNGE swap probability p (default 0.5).</summary>
    public double MungeSwapProbability { get; set; } = 0.5;

    /// <summary>MUNGE local variance parameter s: draws have standard deviation |x − x'| / s (default 1).</summary>
    public double MungeLocalVariance { get; set; } = 1.0;

    /// <summary>The attack that makes <see cref="TransferAugmentation.Adversarial"/> rows (default PGD-10, ε = 0.3 standard deviations).</summary>
    public AdversarialAttack Attack { get; set; } = new();

    /// <summary>Make and teacher-label the next step's rows on a background thread while the student trains (default true; adversarial rows depend on the current weights and are always made in step order on the training thread).</summary>
    public bool Overlap { get; set; } = true;

    /// <summary>ONNX Runtime intra-op threads of the online teacher (default: ONNX Runtime's choice).</summary>
    public int? TeacherThreads { get; set; }

    /// <summary>Checks the options; <paramref name="studentImageShape"/> is the CNN student's [channels, height, width], if the student is one.</summary>
    internal void Validate(int[]? studentImageShape = null)
    {
        if (string.IsNullOrWhiteSpace(TeacherModelPath))
            throw new ArgumentException("TransferSetOptions.TeacherModelPath is required: the teacher that labels the synthetic rows.");
        if (Augmentations == TransferAugmentation.None)
            throw new ArgumentException("TransferSetOptions.Augmentations is None: choose at least one generator (e.g. Mixup).");
        if (Augmentations.HasFlag(TransferAugmentation.Adversarial))
        {
            if (Augmentations != TransferAugmentation.Adversarial)
                throw new ArgumentException($"TransferSetOptions.Augmentations is {Augmentations}: Adversarial rows are made with the student's gradient inside each step and cannot be mixed with the other generators. Use Adversarial alone.");
            if (!(RowsPerRealRow > 0) || RowsPerRealRow > 1)
                throw new ArgumentOutOfRangeException(nameof(RowsPerRealRow), RowsPerRealRow, "TransferSetOptions.RowsPerRealRow must lie in (0, 1] with Adversarial rows: each attacked real row gives one adversarial row (1 = the whole batch).");
            if (Attack is null) throw new ArgumentNullException(nameof(Attack), "TransferSetOptions.Attack is null; Adversarial rows need an attack (e.g. new AdversarialAttack { Method = AdversarialMethod.Pgd, Epsilon = 0.3 }).");
            Attack.Validate("TransferSetOptions.Attack");
        }
        if (!(RowsPerRealRow > 0)) throw new ArgumentOutOfRangeException(nameof(RowsPerRealRow), RowsPerRealRow, "TransferSetOptions.RowsPerRealRow must be positive.");
        if ((Augmentations & (TransferAugmentation.CutMix | TransferAugmentation.ShiftFlip)) != 0 && (ImageShape ?? studentImageShape) is not { Length: 3 })
            throw new ArgumentException("CutMix and ShiftFlip need TransferSetOptions.ImageShape = [channels, height, width] (e.g. [1, 28, 28]), or a CNN student, whose image shape they then use.");
        if (ImageShape is { } shape && studentImageShape is { } cnn && !shape.SequenceEqual(cnn))
            throw new ArgumentException($"TransferSetOptions.ImageShape [{string.Join(", ", shape)}] differs from the CNN student's image shape [{string.Join(", ", cnn)}] (CnnOptions Channels, Height, Width); leave ImageShape null to use the student's.");
        if (NoiseStd < 0 || FeatureDropout is < 0 or >= 1 || !(MixupAlpha > 0) || MaxShift < 0 || MungeSwapProbability is < 0 or > 1 || !(MungeLocalVariance > 0))
            throw new ArgumentException("TransferSetOptions: NoiseStd ≥ 0, FeatureDropout in [0, 1), MixupAlpha > 0, MaxShift ≥ 0, MungeSwapProbability in [0, 1] and MungeLocalVariance > 0 are required.");
    }
}
