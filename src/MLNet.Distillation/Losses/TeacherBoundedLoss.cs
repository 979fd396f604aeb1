using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// The teacher-bounded regression loss of Chen, Choi, Yu, Han and Chandraker, "Learning Efficient Object Detection Models
/// with Knowledge Distillation" (NeurIPS 2017): the teacher is an upper bound the student should reach, not a target.
/// A labelled row takes <c>d(s, y) + ν·L_b</c> with <c>L_b = ‖s − y‖²</c> when <c>‖s − y‖² + m &gt; ‖t − y‖²</c> (the
/// student is not better than the teacher by the margin m) and 0 otherwise, so the teacher adds a pull towards the label
/// only where the student trails it. A row without a label takes <c>d(s, t)</c> (the teacher is its only supervision).
/// d defaults to the paper's smooth L1 (<see cref="RegressionDistance.Huber"/> with δ = 1); the squared norms are means
/// over the k outputs (the paper's sums divided by k, so that m does not depend on k; identical for one output). The
/// switch is a step: no gradient flows through the comparison. Terms: <c>huber-label</c>, <c>teacher-bounded</c>,
/// <c>huber-teacher</c> (named after d), each summed over their rows and divided by the batch size.
/// </summary>
public sealed class TeacherBoundedLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="margin">Margin m ≥ 0 in mean squared standardised units (default 0).</param>
    /// <param name="weight">Weight ν ≥ 0 of the bounded term (default 0.5, the paper's).</param>
    /// <param name="distance">Distance d of the label and unlabelled terms (default Huber, the paper's smooth L1).</param>
    /// <param name="huberDelta">Threshold δ &gt; 0 of the Huber distance (default 1: smooth L1).</param>
    public TeacherBoundedLoss(double margin = 0.0, double weight = 0.5, RegressionDistance distance = RegressionDistance.Huber, double huberDelta = 1.0)
    {
        Margin = Check.NonNegative(margin, nameof(margin), "The margin m");
        Weight = Check.NonNegative(weight, nameof(weight), "The bounded-term weight ν");
        Distance.Check(distance, huberDelta, nameof(distance), nameof(huberDelta));
        RegressionDistance = distance;
        HuberDelta = huberDelta;
    }

    /// <summary>Margin m.</summary>
    public double Margin { get; }

    /// <summary>Weight ν of the bounded term.</summary>
    public double Weight { get; }

    /// <summary>Distance d of the label and unlabelled terms.</summary>
    public RegressionDistance RegressionDistance { get; }

    /// <summary>Huber threshold δ.</summary>
    public double HuberDelta { get; }

    /// <inheritdoc />
    public override string Name => $"teacher-bounded(m={Margin:G3},nu={Weight:G3},{Distance.TermName(RegressionDistance)})";

    /// <inheritdoc />
    public override IReadOnlyCollection<DistillationTask> Tasks => [DistillationTask.Regression];

    /// <inheritdoc />
    public override LossTerms Compute(LossContext c)
    {
        var s = c.StudentLogits;
        var y = RequireTargets(c);
        var t = RequireTaskTeacher(c);
        string name = Distance.TermName(RegressionDistance);
        var lf = LabelledRows(c, s);
        var studentError = RowMean((s - y).square());
        var teacherError = RowMean((t - y).square());
        var active = (studentError.detach() + Margin).gt(teacherError).to_type(s.dtype);
        var toLabel = RowMean(Distance.Elementwise(RegressionDistance, s, y, HuberDelta));
        var toTeacher = RowMean(Distance.Elementwise(RegressionDistance, s, t, HuberDelta));
        long n = s.shape[0];
        return new LossTerms()
            .Add($"{name}-label", (toLabel * lf).sum() / n)
            .Add("teacher-bounded", (studentError * active * lf).sum() * Weight / n)
            .Add($"{name}-teacher", (toTeacher * (1 - lf)).sum() / n);
    }
}
