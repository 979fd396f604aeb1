using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// ListNet (Cao, Qin, Liu, Tsai and Li, "Learning to Rank: From Pairwise Approach to Listwise Approach", ICML 2007) on the
/// relevance labels — the ranking loss of a fit from scratch. Per group (query), the top-one probabilities of the grades,
/// <c>softmax(y)</c>, are the target distribution and the loss is the cross-entropy <c>−Σ softmax(y)·log softmax(s)</c>
/// over the group's labelled rows. Term <c>listnet</c>: the mean over the groups that have a labelled row (a group with one
/// labelled row contributes 0). Rows without a label are left out; the teacher is not used.
/// </summary>
public sealed class ListNetLoss : DistillationLoss
{
    /// <inheritdoc />
    public override string Name => "listnet";

    /// <summary>False: ListNet learns from the labels alone.</summary>
    public override bool RequiresTeacher => false;

    /// <inheritdoc />
    public override IReadOnlyCollection<DistillationTask> Tasks => [DistillationTask.Ranking];

    /// <inheritdoc />
    public override LossTerms Compute(LossContext c)
    {
        var groups = RankingGroups.Of(c, Name);
        RequireTargets(c);
        return new LossTerms().Add("listnet", RankingGroups.MeanOver(PerGroup(c, groups), groups.AnyLabelled));
    }

    /// <summary>ListNet of each group over its labelled rows, [G].</summary>
    internal static Tensor PerGroup(LossContext c, RankingGroups groups)
        => RankingGroups.SoftmaxCrossEntropy(groups.Pad(c.Targets!), groups.Pad(c.StudentLogits), groups.Labelled);
}
