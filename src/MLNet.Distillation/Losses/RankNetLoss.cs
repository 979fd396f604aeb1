using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// RankNet (Burges et al., "Learning to Rank using Gradient Descent", ICML 2005) on the teacher's preferences: for every
/// pair of rows i, j of a group with <c>t_i &gt; t_j</c>, the logistic loss <c>−log σ(s_i − s_j)</c> that the student orders
/// them the same way. Pairs the teacher ties are left out; labels are not used. Term <c>ranknet</c>: the mean over the
/// batch's preference pairs (zero when there are none).
/// </summary>
public sealed class RankNetLoss : DistillationLoss
{
    /// <inheritdoc />
    public override string Name => "ranknet";

    /// <inheritdoc />
    public override IReadOnlyCollection<DistillationTask> Tasks => [DistillationTask.Ranking];

    /// <inheritdoc />
    public override LossTerms Compute(LossContext c)
    {
        var groups = RankingGroups.Of(c, Name);
        var teacher = RequireTaskTeacher(c);
        var both = groups.Valid.unsqueeze(2).logical_and(groups.Valid.unsqueeze(1));
        var prefers = both.logical_and(RankingGroups.Differences(groups.Pad(teacher)).gt(0));
        var perPair = nn.functional.softplus(-RankingGroups.Differences(groups.Pad(c.StudentLogits)));
        var m = prefers.to_type(perPair.dtype);
        return new LossTerms().Add("ranknet", (perPair * m).sum() / m.sum().clamp_min(1.0));
    }
}
