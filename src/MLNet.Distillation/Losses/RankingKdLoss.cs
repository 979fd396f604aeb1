using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// The default ranking loss: per group (query), a group whose rows all have labels takes
/// <c>(1−α)·ListNet + α·T²·KL(softmax(t/T) ‖ softmax(s/T))</c>, a group with a row without a label the listwise KL alone
/// (the teacher scores every row, and its ranking of the whole group is the supervision; labels of a partly labelled group
/// are not used). Terms <c>listnet</c> and <c>listwise-kl</c>, each summed over their groups and divided by the number of
/// groups. Without a teacher it is <see cref="ListNetLoss"/> on the labelled rows of every group (term <c>listnet</c>), so
/// one default serves scratch and distilled fits; with α = 0 and every row labelled the two are equal.
/// See <see cref="ListNetLoss"/> and <see cref="ListwiseKlLoss"/>.
/// </summary>
public sealed class RankingKdLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">Temperature T &gt; 0 of the listwise KL (default 1).</param>
    /// <param name="alpha">Weight α ∈ [0, 1] of the listwise KL on fully labelled groups (default 0: they learn from their labels).</param>
    public RankingKdLoss(double temperature = 1.0, double alpha = 0.0)
    {
        Temperature = Check.Temperature(temperature, nameof(temperature));
        Alpha = Check.UnitInterval(alpha, nameof(alpha), "Alpha");
    }

    /// <summary>Temperature T.</summary>
    public double Temperature { get; }

    /// <summary>Weight α of the listwise KL on fully labelled groups.</summary>
    public double Alpha { get; }

    /// <inheritdoc />
    public override string Name => $"ranking-kd(T={Temperature:G3},a={Alpha:G3})";

    /// <summary>False: without a teacher the loss is ListNet on the labels.</summary>
    public override bool RequiresTeacher => false;

    /// <summary>True: with a teacher column the teacher teaches (the rows without a label, and the labelled rows by α); without one the labels alone.</summary>
    public override bool UsesTeacher => true;

    /// <inheritdoc />
    public override IReadOnlyCollection<DistillationTask> Tasks => [DistillationTask.Ranking];

    /// <inheritdoc />
    public override LossTerms Compute(LossContext c)
    {
        var groups = RankingGroups.Of(c, Name);
        RequireTargets(c);
        var listNet = ListNetLoss.PerGroup(c, groups);
        if (c.Teacher is null) return new LossTerms().Add("listnet", RankingGroups.MeanOver(listNet, groups.AnyLabelled));

        var kl = ListwiseKlLoss.PerGroup(this, c, groups, Temperature);
        var full = groups.FullyLabelled.to_type(kl.dtype);
        var count = groups.NonEmpty.to_type(kl.dtype).sum().clamp_min(1.0);
        return new LossTerms()
            .Add("listnet", (listNet * full).sum() * (1 - Alpha) / count)
            .Add("listwise-kl", (kl * (full * Alpha + (1 - full))).sum() / count);
    }
}
