using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// RKD angle (Park, Kim, Lu and Cho, "Relational Knowledge Distillation", CVPR 2019): for every triplet (i, j, k) of the
/// batch, the cosine of the angle at i between e(x_j − x_i) and e(x_k − x_i) (unit vectors; zero for j = i, k = i or coinciding rows)
/// matches the teacher's under the Huber loss (δ = 1). Term <c>rkd-angle</c> = mean over all B³ triplets, as the
/// authors' code. Invariant to scaling and translating either representation; the authors' code weighs it twice the
/// distance loss. Memory and time grow as B²·D + B³: batches of up to a few hundred rows.
/// </summary>
public sealed class RkdAngleLoss : RelationalLoss
{
    /// <summary>Creates the loss; see <see cref="DistillationLoss.RkdAngle"/>.</summary>
    /// <param name="teacherColumn">Extra teacher column, or null (default) for the teacher's outputs.</param>
    /// <param name="studentLayer">Student hidden layer (default −1, the last).</param>
    public RkdAngleLoss(string? teacherColumn = null, int studentLayer = -1) : base(teacherColumn, studentLayer) { }

    /// <inheritdoc />
    public override string Name => $"rkd-angle({Source})";

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        var (s, t) = Representations(context);
        var angleS = Angles(s);
        Tensor angleT;
        using (no_grad()) angleT = Angles(t);
        return new LossTerms().Add("rkd-angle", SmoothL1(angleS, angleT).mean());
    }

    /// <summary>[B, D] → [B, B, B]: entry (i, j, k) = e(x_j − x_i)·e(x_k − x_i).</summary>
    private static Tensor Angles(Tensor x)
    {
        var diff = x.unsqueeze(0) - x.unsqueeze(1);                                   // [i, j] = x_j − x_i
        var squared = diff.square().sum(2, keepdim: true);
        // Zero vectors (j = i, or two equal rows) stay zero without a gradient: dividing them by a floored length, as
        // torch.nn.functional.normalize does, would scale their gradient by 1e12 when two rows of a batch coincide.
        var nonZero = squared.gt(1e-24);
        var unit = where(nonZero, diff / squared.clamp_min(1e-24).sqrt(), zeros_like(diff));
        return unit.bmm(unit.transpose(1, 2));
    }
}
