using MLNet.Distillation.Losses;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Search;

/// <summary>
/// One configuration AutoDistill may pick: a loss (made fresh for every trial) and optionally a synthetic transfer set.
/// The scratch candidate (cross-entropy, no teacher) is always in the search so the answer is never worse than not distilling.
/// </summary>
/// <param name="Name">Name shown in the leaderboard.</param>
/// <param name="CreateLoss">Makes the loss for one trial.</param>
/// <param name="TransferSet">Synthetic transfer set for this candidate, or null.</param>
public sealed record AutoDistillCandidate(string Name, Func<DistillationLoss> CreateLoss, TransferSetOptions? TransferSet = null)
{
    /// <summary>True for the from-scratch baseline (cross-entropy on the labels only).</summary>
    public bool IsScratch { get; init; }

    /// <summary>
    /// True for the incumbent: the candidate a search keeps unless another one beats it by more than the noise of the
    /// validation rows, and trains in every rung (in <see cref="DefaultSpace(string, int[])"/>: the library's default distillation).
    /// Without one, scratch is the incumbent.
    /// </summary>
    public bool IsDefault { get; init; }

    /// <summary>Peak learning rate of this candidate; null (default) keeps <see cref="StudentOptions.LearningRate"/>.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Learning-rate schedule of this candidate; null (default) keeps <see cref="StudentOptions.Schedule"/>.</summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>The library's default distillation of a multiclass student — what a student with only a teacher column set trains with (<see cref="DefaultFor"/> for the other tasks).</summary>
    public static AutoDistillCandidate Default { get; } = new($"default KD ({DefaultLossName()})", StudentTrainer.DefaultDistillation) { IsDefault = true };

    /// <summary>Training a multiclass student from scratch with cross-entropy: the baseline every search includes (<see cref="ScratchFor"/> for the other tasks).</summary>
    public static AutoDistillCandidate Scratch { get; } = new("scratch (cross-entropy)", () => DistillationLoss.CrossEntropy()) { IsScratch = true };

    /// <summary>
    /// The default search space: scratch, the default distillation (the incumbent) also at a third and three times the
    /// learning rate and under a cosine schedule, teacher-corrected KD with labelled rows distilled too (T=1, α=0.5),
    /// Hinton KD at (T, α) = (4, 0.9) (the textbook), (2, 0.5) and (1, 1),
    /// DKD, NKD, Jensen–Shannon, reverse KL, and — when <paramref name="transferTeacherPath"/> is given — pure KD with mixup and Gaussian-noise
    /// transfer sets labelled online by that teacher (<paramref name="imageShape"/> adds shift/flip for image vectors).
    /// </summary>
    /// <param name="transferTeacherPath">Teacher ONNX file for online transfer sets, or null for none.</param>
    /// <param name="imageShape">[channels, height, width] when the features are an image, or null.</param>
    public static IReadOnlyList<AutoDistillCandidate> DefaultSpace(string? transferTeacherPath = null, int[]? imageShape = null)
    {
        var defaults = new StudentOptions();
        var list = new List<AutoDistillCandidate>
        {
            Scratch,
            Default,
            new($"{Default.Name}, lr {defaults.LearningRate / 3:G2}", StudentTrainer.DefaultDistillation) { LearningRate = defaults.LearningRate / 3 },
            new($"{Default.Name}, lr {defaults.LearningRate * 3:G2}", StudentTrainer.DefaultDistillation) { LearningRate = defaults.LearningRate * 3 },
            new($"{Default.Name}, cosine", StudentTrainer.DefaultDistillation) { Schedule = LearningRateSchedule.Cosine },
        };
        string defaultLoss = DefaultLossName();
        list.Add(new("corrected-kd T=1 a=0.5 (labelled rows distilled too)", () => DistillationLoss.TeacherCorrected(1, 0.5)));
        foreach (var (t, a) in new[] { (4.0, 0.9), (2.0, 0.5), (1.0, 1.0) })
        {
            using var probe = DistillationLoss.Hinton(t, a);
            if (probe.Name != defaultLoss) list.Add(new($"hinton T={t:G3} a={a:G3}", () => DistillationLoss.Hinton(t, a)));
        }
        list.Add(new("dkd", () => DistillationLoss.Dkd(warmupEpochs: 5)));
        list.Add(new("nkd", () => DistillationLoss.Nkd()));
        list.Add(new("jsd + 0.5 ce", () => DistillationLoss.JensenShannon() + 0.5 * DistillationLoss.CrossEntropy()));
        list.Add(new("reverse kl + 0.5 ce", () => DistillationLoss.ReverseKl() + 0.5 * DistillationLoss.CrossEntropy()));
        if (transferTeacherPath is not null)
        {
            list.Add(new("hinton T=1 a=1 + mixup", () => DistillationLoss.Hinton(1, 1),
                new TransferSetOptions { TeacherModelPath = transferTeacherPath, Augmentations = TransferAugmentation.Mixup }));
            list.Add(new("hinton T=1 a=1 + noise", () => DistillationLoss.Hinton(1, 1),
                new TransferSetOptions { TeacherModelPath = transferTeacherPath, Augmentations = TransferAugmentation.GaussianNoise | TransferAugmentation.FeatureDropout }));
            if (imageShape is not null)
                list.Add(new("hinton T=1 a=1 + shift/flip", () => DistillationLoss.Hinton(1, 1),
                    new TransferSetOptions { TeacherModelPath = transferTeacherPath, Augmentations = TransferAugmentation.ShiftFlip, ImageShape = imageShape }));
        }
        return list;
    }

    /// <summary>The from-scratch baseline of a search for <paramref name="task"/>: the task's default loss on the labels alone.</summary>
    /// <param name="task">The student's task.</param>
    public static AutoDistillCandidate ScratchFor(DistillationTask task) => task == DistillationTask.MulticlassClassification
        ? Scratch
        : new($"scratch (labels only)", () => new LabelsOnlyLoss(StudentTrainer.DefaultLoss(new StudentOptions(), task))) { IsScratch = true };

    /// <summary>The library's default distillation for <paramref name="task"/> (what a student with only a teacher column set trains with), as the incumbent.</summary>
    /// <param name="task">The student's task.</param>
    public static AutoDistillCandidate DefaultFor(DistillationTask task) => task == DistillationTask.MulticlassClassification
        ? Default
        : new($"default KD ({LossName(() => StudentTrainer.DefaultLoss(new StudentOptions(), task))})", () => StudentTrainer.DefaultLoss(new StudentOptions(), task)) { IsDefault = true };

    /// <summary>
    /// The default search space of a binary, regression or ranking student (for multiclass: <see cref="DefaultSpace(string, int[])"/>):
    /// scratch, the task's default distillation (the incumbent) also at a third and three times the learning rate and under
    /// a cosine schedule, and the task's losses —
    /// binary: <c>BinaryKd</c> at (T, α) = (1, 0.5), (2, 0.5), (4, 0.9) and (1, 1);
    /// regression: <c>RegressionKd</c> at α = 0.5 (MSE and Huber) and 1, <c>TeacherBounded()</c>;
    /// ranking: <c>RankingKd(1, 0.5)</c>, <c>RankingKd(1, 1)</c>, <c>ListNet + MarginMse</c>, <c>ListNet + RankNet</c>.
    /// </summary>
    /// <param name="task">The student's task.</param>
    public static IReadOnlyList<AutoDistillCandidate> DefaultSpace(DistillationTask task)
    {
        if (task == DistillationTask.MulticlassClassification) return DefaultSpace();
        if (task == DistillationTask.Embedding)
            throw new ArgumentException("AutoDistill has no search space for embedding students; choose their loss (DistillationLoss.EmbeddingCosine, EmbeddingContrastive, EmbeddingTriplet) directly.", nameof(task));
        var defaults = new StudentOptions();
        var incumbent = DefaultFor(task);
        var list = new List<AutoDistillCandidate>
        {
            ScratchFor(task),
            incumbent,
            incumbent with { Name = $"{incumbent.Name}, lr {defaults.LearningRate / 3:G2}", LearningRate = defaults.LearningRate / 3, IsDefault = false },
            incumbent with { Name = $"{incumbent.Name}, lr {defaults.LearningRate * 3:G2}", LearningRate = defaults.LearningRate * 3, IsDefault = false },
            incumbent with { Name = $"{incumbent.Name}, cosine", Schedule = LearningRateSchedule.Cosine, IsDefault = false },
        };
        switch (task)
        {
            case DistillationTask.BinaryClassification:
                foreach (var (t, a) in new[] { (1.0, 0.5), (2.0, 0.5), (4.0, 0.9), (1.0, 1.0) })
                    list.Add(new($"binary-kd T={t:G3} a={a:G3}", () => DistillationLoss.BinaryKd(t, a)));
                break;
            case DistillationTask.Regression:
                list.Add(new("regression-kd a=0.5 (mse)", () => DistillationLoss.RegressionKd(0.5)));
                list.Add(new("regression-kd a=0.5 (huber)", () => DistillationLoss.RegressionKd(0.5, RegressionDistance.Huber)));
                list.Add(new("regression-kd a=1 (teacher only)", () => DistillationLoss.RegressionKd(1)));
                list.Add(new("teacher-bounded", () => DistillationLoss.TeacherBounded()));
                break;
            default:
                list.Add(new("ranking-kd T=1 a=0.5", () => DistillationLoss.RankingKd(1, 0.5)));
                list.Add(new("ranking-kd T=1 a=1 (teacher only)", () => DistillationLoss.RankingKd(1, 1)));
                list.Add(new("listnet + margin-mse", () => DistillationLoss.ListNet() + DistillationLoss.MarginMse()));
                list.Add(new("listnet + ranknet", () => DistillationLoss.ListNet() + DistillationLoss.RankNet()));
                break;
        }
        return list;
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private static string LossName(Func<DistillationLoss> create)
    {
        using var loss = create();
        return loss.Name;
    }

    private static string DefaultLossName()
    {
        using var loss = StudentTrainer.DefaultDistillation();
        return loss.Name;
    }
}
