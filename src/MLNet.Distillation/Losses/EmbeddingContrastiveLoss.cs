using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// InfoNCE between the student's and the teacher's embeddings of a batch (as in CRD, Tian et al. 2020, and CLIP's
/// student-to-teacher direction): with z[i, j] = cos(s_i, t_j)/τ, each student embedding should pick out its own teacher
/// embedding among the batch's, term <c>embedding-nce</c> = mean_i −log softmax_j(z[i, ·])[i]. Supervised (optional,
/// when the batch has labels): teacher embeddings of other rows with the same class key are positives too, in the form
/// L_out of Khosla et al. 2020 ("Supervised Contrastive Learning"): −mean_{p ∈ P(i)} log softmax_j(z[i, ·])[p], P(i) = i
/// and the rows j with y_j = y_i (rows without a label have only themselves) — so that rows of one class are not pushed
/// apart; the student then matches its class's teacher embeddings more than its own row's, which helps k-NN by class
/// but not agreement with the teacher, hence off by default. Its minimum over the student's embeddings is reached with s_i pointing along t_i (and, supervised, along its
/// class's teacher embeddings). The negatives are the batch: larger batches give a harder task and a tighter bound.
/// </summary>
public sealed class EmbeddingContrastiveLoss : EmbeddingLoss
{
    /// <summary>Creates the loss; see <see cref="DistillationLoss.EmbeddingContrastive"/>.</summary>
    /// <param name="temperature">Temperature τ (default 0.1).</param>
    /// <param name="supervised">Treat same-class rows as positives when labels are given (default false).</param>
    public EmbeddingContrastiveLoss(double temperature = 0.1, bool supervised = false)
    {
        Temperature = Check.Temperature(temperature, nameof(temperature));
        Supervised = supervised;
    }

    /// <summary>Temperature τ.</summary>
    public double Temperature { get; }

    /// <summary>Whether same-class rows count as positives.</summary>
    public bool Supervised { get; }

    /// <inheritdoc />
    public override string Name => $"embedding-nce(τ={Temperature:G3}{(Supervised ? ", supervised" : "")})";

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        var (s, t) = Embeddings(context);
        long b = s.shape[0];
        var logProbs = nn.functional.log_softmax(PairCosine(s, t) / Temperature, 1);
        var diagonal = eye(b, dtype: ScalarType.Bool, device: s.device);
        var positives = (Supervised ? diagonal.logical_or(SameLabel(context.Labels)) : diagonal).to_type(s.dtype);
        var perRow = -(logProbs * positives).sum(1) / positives.sum(1);
        return new LossTerms().Add("embedding-nce", perRow.mean());
    }
}
