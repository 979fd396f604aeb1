using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Listwise distillation for ranking: per group (query), <c>T²·KL(softmax(t/T) ‖ softmax(s/T))</c> between the teacher's
/// and the student's score distributions over the group's rows — Hinton's KD with the group in place of the classes, as in
/// listwise ranking distillation (e.g. the listwise KL of sentence-transformers' and DistillKit's rankers). Only score
/// differences within a group matter, so teacher and student may score on different scales up to the temperature.
/// Term <c>listwise-kl</c>: the mean over groups. Uses every row; labels are not used.
/// </summary>
public sealed class ListwiseKlLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">Softening temperature T &gt; 0 (default 1).</param>
    public ListwiseKlLoss(double temperature = 1.0) => Temperature = Check.Temperature(temperature, nameof(temperature));

    /// <summary>Temperature T.</summary>
    public double Temperature { get; }

    /// <inheritdoc />
    public override string Name => $"listwise-kl(T={Temperature:G3})";

    /// <inheritdoc />
    public override IReadOnlyCollection<DistillationTask> Tasks => [DistillationTask.Ranking];

    /// <inheritdoc />
    public override LossTerms Compute(LossContext c)
    {
        var groups = RankingGroups.Of(c, Name);
        return new LossTerms().Add("listwise-kl", RankingGroups.MeanOver(PerGroup(this, c, groups, Temperature), groups.NonEmpty));
    }

    /// <summary>T²·KL of each group over all its rows, [G].</summary>
    internal static Tensor PerGroup(DistillationLoss loss, LossContext c, RankingGroups groups, double temperature)
    {
        var teacher = loss.RequireTaskTeacher(c);
        return RankingGroups.SoftmaxKl(groups.Pad(teacher) / temperature, groups.Pad(c.StudentLogits) / temperature, groups.Valid)
               * (temperature * temperature);
    }
}
