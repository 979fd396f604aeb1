using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// A batch-hard triplet loss between student and teacher embeddings (Schroff et al. 2015, FaceNet; hardest negatives in
/// the batch as Hermans et al. 2017): on unit-normalised embeddings, with d(a, b) = ‖â − b̂‖, the anchor is the student
/// embedding s_i, the positive its own teacher embedding t_i, and the negative the closest teacher embedding t_j of
/// another row — of another class when both rows carry labels (same-class rows are never negatives). Term
/// <c>embedding-triplet</c> = mean over rows with a negative of max(0, d(s_i, t_i) − d(s_i, t_neg) + margin); zero when no
/// row has one. Distances are floored at 1e-6 (squared 1e-12) so that s = t has a gradient.
/// </summary>
public sealed class EmbeddingTripletLoss : EmbeddingLoss
{
    /// <summary>Creates the loss; see <see cref="DistillationLoss.EmbeddingTriplet"/>.</summary>
    /// <param name="margin">Margin on unit-sphere distances, in (0, 2] (default 0.2).</param>
    public EmbeddingTripletLoss(double margin = 0.2)
    {
        if (!(margin > 0 && margin <= 2))
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "The triplet margin is a distance between unit vectors and must lie in (0, 2] (default 0.2).");
        Margin = margin;
    }

    /// <summary>The margin.</summary>
    public double Margin { get; }

    /// <inheritdoc />
    public override string Name => $"embedding-triplet(margin={Margin:G3})";

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        var (s, t) = Embeddings(context);
        long b = s.shape[0];
        var su = UnitRows(s);
        var tu = UnitRows(t);
        var d2 = (su.unsqueeze(1) - tu.unsqueeze(0)).square().sum(2);       // [i, j] = ‖ŝ_i − t̂_j‖²
        var d = d2.clamp_min(1e-12).sqrt();
        var candidates = eye(b, dtype: ScalarType.Bool, device: s.device).logical_or(SameLabel(context.Labels)).logical_not();
        var hasNegative = candidates.any(1);
        var negative = where(candidates, d, full_like(d, double.PositiveInfinity)).min(1).values;
        var perRow = nn.functional.relu(d.diagonal() - where(hasNegative, negative, zeros_like(negative)) + Margin);
        return new LossTerms().Add("embedding-triplet", MaskedMean(perRow, hasNegative));
    }
}
