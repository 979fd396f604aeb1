using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Margin-MSE of Hofstätter, Althammer, Schröder, Sertkan and Hanbury, "Improving Efficient Neural Ranking Models with
/// Cross-Architecture Knowledge Distillation" (arXiv 2010.02666, 2020): for two documents i, j of the same query, the
/// student's score margin should equal the teacher's, <c>((s_i − s_j) − (t_i − t_j))²</c>, so that teacher and student may
/// score on different scales (only margins are matched; adding a constant to the student changes nothing). Pairs: every
/// unordered pair of rows of a group once, except pairs of two labelled rows with the same grade (with labels the paper's
/// pairs are a more relevant and a less relevant document; the squared margin error is the same either way round).
/// Term <c>margin-mse</c>: the mean over the batch's pairs (zero when no group has two rows).
/// </summary>
public sealed class MarginMseLoss : DistillationLoss
{
    /// <inheritdoc />
    public override string Name => "margin-mse";

    /// <inheritdoc />
    public override IReadOnlyCollection<DistillationTask> Tasks => [DistillationTask.Ranking];

    /// <inheritdoc />
    public override LossTerms Compute(LossContext c)
    {
        var groups = RankingGroups.Of(c, Name);
        var teacher = RequireTaskTeacher(c);
        var y = RankingGroups.Differences(groups.Pad(RequireTargets(c)));
        var bothLabelled = groups.Labelled.unsqueeze(2).logical_and(groups.Labelled.unsqueeze(1));
        var pairs = groups.Pairs.logical_and(bothLabelled.logical_and(y.eq(0)).logical_not());
        var error = RankingGroups.Differences(groups.Pad(c.StudentLogits)) - RankingGroups.Differences(groups.Pad(teacher));
        var m = pairs.to_type(error.dtype);
        return new LossTerms().Add("margin-mse", (error.square() * m).sum() / m.sum().clamp_min(1.0));
    }
}
