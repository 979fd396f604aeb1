using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Samples.Representations;

/// <summary>
/// One classifier condition: the loss (a fresh instance per fit: representation losses own projections bound to one
/// student) and whether it needs the teacher. Every condition trains the same student with the same options; only the
/// loss and the labels differ.
/// </summary>
sealed record ClassifierCondition(string Id, string Name, Func<DistillationLoss>? Loss)
{
    /// <summary>Logit KD, the baseline the representation terms are added to: teacher-corrected KD at T = 1, α = 0.5.</summary>
    public static DistillationLoss LogitKd() => DistillationLoss.TeacherCorrected(1, 0.5);

    private const string E = EmbeddingTask.Embedding;

    /// <summary>Scratch, logit KD, and logit KD plus each representation loss on the teacher's embedding column.</summary>
    public static IReadOnlyList<ClassifierCondition> All { get; } =
    [
        new("scratch", "scratch (labels only)", null),
        new("kd", "logit KD: TeacherCorrected(1, 0.5)", LogitKd),
        new("kd+hint-mse", "KD + Hint(MSE, linear)", () => LogitKd() + DistillationLoss.Hint(E, -1, HintDistance.Mse, HintProjection.Linear)),
        new("kd+hint-cos", "KD + Hint(cosine, linear)", () => LogitKd() + DistillationLoss.Hint(E, -1, HintDistance.Cosine, HintProjection.Linear)),
        new("kd+hint-nd", "KD + Hint(ND, linear)", () => LogitKd() + DistillationLoss.Hint(E, -1, HintDistance.Nd, HintProjection.Linear)),
        new("kd+hint-mi", "KD + Hint(MI-α, α = 0.5, linear)", () => LogitKd() + DistillationLoss.Hint(E, -1, HintDistance.MiAlpha, HintProjection.Linear)),
        new("kd+hint-mi-w0.1", "KD + 0.1 × Hint(MI-α, α = 0.5, linear)", () => LogitKd() + DistillationLoss.Hint(E, -1, HintDistance.MiAlpha, HintProjection.Linear, weight: 0.1)),
        new("kd+rkd-d", "KD + RkdDistance(embedding)", () => LogitKd() + DistillationLoss.RkdDistance(E)),
        new("kd+rkd-a", "KD + RkdAngle(embedding)", () => LogitKd() + DistillationLoss.RkdAngle(E)),
        new("kd+graph", "KD + RelationGraph(embedding, τ = 0.1)", () => LogitKd() + DistillationLoss.RelationGraph(E)),
    ];
}

/// <summary>One embedding-student condition: its loss (null = the catalog's default, EmbeddingCosine).</summary>
sealed record EmbeddingCondition(string Id, string Name, Func<DistillationLoss>? Loss)
{
    /// <summary>The embedding students compared (the random projection is computed, not fitted: see <see cref="RandomProjection"/>).</summary>
    public static IReadOnlyList<EmbeddingCondition> All { get; } =
    [
        new("emb-cosine", "EmbeddingCosine (default)", null),
        new("emb-contrastive", "EmbeddingContrastive(τ = 0.1, supervised: same-class positives)", () => DistillationLoss.EmbeddingContrastive(0.1, supervised: true)),
        new("emb-contrastive-self", "EmbeddingContrastive(τ = 0.1, own teacher embedding the only positive)", () => DistillationLoss.EmbeddingContrastive(0.1, supervised: false)),
        new("emb-triplet", "EmbeddingTriplet(margin 0.2)", () => DistillationLoss.EmbeddingTriplet()),
    ];
}
