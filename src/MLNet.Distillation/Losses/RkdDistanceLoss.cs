using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// RKD distance (Park, Kim, Lu and Cho, "Relational Knowledge Distillation", CVPR 2019): the student's pairwise Euclidean
/// distances, each divided by their mean over the batch's pairs, match the teacher's under the Huber loss (δ = 1).
/// Term <c>rkd-distance</c> = mean over all B² entries (i = j entries are zero on both sides), as the authors' code.
/// Squared distances are floored at 1e-12 before the square root, as there. The normalisation makes it invariant to the
/// scale of either representation. The authors' code weighs distance and angle 1 : 2 (<c>RkdDistance() + 2 * RkdAngle()</c>).
/// Batches of one row give zero.
/// </summary>
public sealed class RkdDistanceLoss : RelationalLoss
{
    /// <summary>Creates the loss; see <see cref="DistillationLoss.RkdDistance"/>.</summary>
    /// <param name="teacherColumn">Extra teacher column, or null (default) for the teacher's outputs.</param>
    /// <param name="studentLayer">Student hidden layer (default −1, the last).</param>
    public RkdDistanceLoss(string? teacherColumn = null, int studentLayer = -1) : base(teacherColumn, studentLayer) { }

    /// <inheritdoc />
    public override string Name => $"rkd-distance({Source})";

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        var (s, t) = Representations(context);
        long b = s.shape[0];
        if (b < 2) return new LossTerms().Add("rkd-distance", ZeroLike(s));
        var mask = OffDiagonal(b, s.device);
        var ds = Normalised(s, mask);
        Tensor dt;
        using (no_grad()) dt = Normalised(t, mask);
        return new LossTerms().Add("rkd-distance", SmoothL1(ds, dt).mean());
    }

    /// <summary>Pairwise distances over their off-diagonal mean, zero on the diagonal: [B, D] → [B, B].</summary>
    private static Tensor Normalised(Tensor x, Tensor offDiagonal)
    {
        var sq = x.square().sum(1);
        var d2 = sq.unsqueeze(1) + sq.unsqueeze(0) - 2.0 * x.matmul(x.t());
        var m = offDiagonal.to_type(x.dtype);
        var d = d2.clamp_min(1e-12).sqrt() * m;
        return d / (d.sum() / m.sum());
    }
}
