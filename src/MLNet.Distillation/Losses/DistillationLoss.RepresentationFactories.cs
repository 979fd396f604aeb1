namespace MLNet.Distillation.Losses;

// Static factories for the representation losses (issue 15): hints from a teacher embedding column, relations between
// the rows of a batch, and the contrastive and triplet losses of an embedding student (its default,
// EmbeddingCosine, is in DistillationLoss.EmbeddingFactories.cs). Like the other factories they return the concrete type
// and compose with + and *.
public abstract partial class DistillationLoss
{
    /// <summary>
    /// Hint (feature) distillation from a teacher embedding column onto a student layer through a learned projection that
    /// is never exported; see <see cref="HintLoss"/> for the distances (MSE, cosine, ND, MI-α). Every task (ND: tasks with
    /// class labels).
    /// </summary>
    /// <param name="teacherColumn">The teacher embedding column, written by <c>Transforms.Distill</c>'s <c>OutputColumns</c>.</param>
    /// <param name="studentLayer">Student hidden layer: 0…n−1 from the first, −1 (default) the last.</param>
    /// <param name="distance">How to compare (default MSE).</param>
    /// <param name="projection">Projection from the student layer to the teacher's width (default linear).</param>
    /// <param name="weight">Weight of the term (default 1).</param>
    /// <param name="alpha">MI-α only: weight α ∈ [0, 1] of the InfoNCE baseline (default 0.5).</param>
    public static HintLoss Hint(string teacherColumn, int studentLayer = -1, HintDistance distance = HintDistance.Mse,
        HintProjection projection = HintProjection.Linear, double weight = 1.0, double alpha = 0.5)
        => new(teacherColumn, studentLayer, distance, projection, weight, alpha);

    /// <summary>RKD distance (Park et al. 2019): mean-normalised pairwise distances of the batch, Huber; see <see cref="RkdDistanceLoss"/>. Every task.</summary>
    /// <param name="teacherColumn">Extra teacher column, or null (default) for the teacher's outputs.</param>
    /// <param name="studentLayer">Student hidden layer (default −1, the last).</param>
    public static RkdDistanceLoss RkdDistance(string? teacherColumn = null, int studentLayer = -1) => new(teacherColumn, studentLayer);

    /// <summary>RKD angle (Park et al. 2019): angles of every triplet of the batch, Huber; see <see cref="RkdAngleLoss"/>. Every task.</summary>
    /// <param name="teacherColumn">Extra teacher column, or null (default) for the teacher's outputs.</param>
    /// <param name="studentLayer">Student hidden layer (default −1, the last).</param>
    public static RkdAngleLoss RkdAngle(string? teacherColumn = null, int studentLayer = -1) => new(teacherColumn, studentLayer);

    /// <summary>
    /// Relationship graph in the spirit of TRG: each row's softmax over its cosine similarities to the batch's other rows
    /// matches the teacher's (KL); see <see cref="RelationGraphLoss"/>. Every task.
    /// </summary>
    /// <param name="teacherColumn">Extra teacher column, or null (default) for the teacher's outputs.</param>
    /// <param name="studentLayer">Student hidden layer (default −1, the last).</param>
    /// <param name="temperature">Temperature τ of the edge softmax (default 0.1).</param>
    public static RelationGraphLoss RelationGraph(string? teacherColumn = null, int studentLayer = -1, double temperature = 0.1)
        => new(teacherColumn, studentLayer, temperature);

    /// <summary>
    /// InfoNCE of the student embeddings against the batch's teacher embeddings (own teacher embedding positive; optionally,
    /// with labels, same-class ones too); see <see cref="EmbeddingContrastiveLoss"/>. Embedding students.
    /// </summary>
    /// <param name="temperature">Temperature τ (default 0.1).</param>
    /// <param name="supervised">Same-class rows count as positives when labels are given (default false).</param>
    public static EmbeddingContrastiveLoss EmbeddingContrastive(double temperature = 0.1, bool supervised = false) => new(temperature, supervised);

    /// <summary>
    /// Batch-hard triplet loss: student anchor, its teacher embedding positive, the closest other (other-class) teacher
    /// embedding negative; see <see cref="EmbeddingTripletLoss"/>. Embedding students.
    /// </summary>
    /// <param name="margin">Margin on unit-sphere distances (default 0.2).</param>
    public static EmbeddingTripletLoss EmbeddingTriplet(double margin = 0.2) => new(margin);
}
