using MLNet.Distillation.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Losses;

/// <summary>
/// Properties of the binary, regression and ranking losses that the goldens do not state directly: what each loss reduces
/// to with full labels or without a teacher, which rows and pairs reach the gradient, the invariances the papers rely on,
/// and the errors for malformed batches.
/// </summary>
public class TaskLossBehaviourTests
{
    private static Tensor Column(params double[] values) => tensor(values, [values.Length, 1], dtype: ScalarType.Float64);

    private static Tensor Matrix(double[,] values) => tensor(values, dtype: ScalarType.Float64);

    private static Tensor Leaf(Tensor t) => t.detach().clone().requires_grad_(true);

    private static Tensor Ints(params long[] values) => tensor(values, dtype: ScalarType.Int64);

    private static double Value(Tensor t) => LossGoldens.Item(t);

    private static LossContext Context(DistillationTask task, Tensor student, Tensor? teacher, Tensor targets, Tensor labels, Tensor? groups = null) => new()
    {
        Task = task, StudentLogits = student, Teacher = teacher, Targets = targets, Labels = labels, GroupIds = groups,
    };

    // ---- metadata ------------------------------------------------------------------------------------------------

    [Fact]
    public void Each_loss_declares_its_task_and_whether_it_needs_a_teacher()
    {
        (DistillationLoss Loss, DistillationTask Task, bool Teacher)[] expected =
        [
            (DistillationLoss.BinaryKd(), DistillationTask.BinaryClassification, false),
            (DistillationLoss.RegressionKd(), DistillationTask.Regression, false),
            (DistillationLoss.TeacherBounded(), DistillationTask.Regression, true),
            (DistillationLoss.TolerantTough(), DistillationTask.Regression, true),
            (DistillationLoss.BernoulliKl(), DistillationTask.Regression, false),
            (DistillationLoss.ListNet(), DistillationTask.Ranking, false),
            (DistillationLoss.ListwiseKl(), DistillationTask.Ranking, true),
            (DistillationLoss.MarginMse(), DistillationTask.Ranking, true),
            (DistillationLoss.RankNet(), DistillationTask.Ranking, true),
            (DistillationLoss.RankingKd(), DistillationTask.Ranking, false),
        ];
        foreach (var (loss, task, teacher) in expected)
        {
            Assert.Equal([task], loss.Tasks);
            Assert.Equal(teacher, loss.RequiresTeacher);
            Assert.Equal(loss is not ListNetLoss, loss.UsesTeacher);
            Assert.Equal(loss is TolerantToughLoss, loss.UsesAllTeachers);
            Assert.Equal(loss is BernoulliKlLoss, loss.PredictsThroughSigmoid);
        }
        Assert.Equal([DistillationTask.Regression], (DistillationLoss.RegressionKd() + 0.5 * DistillationLoss.TeacherBounded()).Tasks);
        Assert.Empty((DistillationLoss.BinaryKd() + DistillationLoss.Hinton()).Tasks);
    }

    // ---- binary --------------------------------------------------------------------------------------------------

    [Fact]
    public void Binary_kd_with_alpha_zero_and_full_labels_equals_the_bce_and_the_scratch_loss_exactly()
    {
        using var scope = NewDisposeScope();
        var s = Column(0.3, -1.2, 2.5, -0.1, 4.0);
        var t = Column(1.0, -2.0, 0.5, 3.0, -1.0);
        var y = Column(1, 0, 1, 1, 0);
        var labels = Ints(1, 0, 1, 1, 0);
        double bce = Value(nn.functional.binary_cross_entropy_with_logits(s, y));
        var distilled = DistillationLoss.BinaryKd().Compute(Context(DistillationTask.BinaryClassification, s, t, y, labels));
        var scratch = DistillationLoss.BinaryKd().Compute(Context(DistillationTask.BinaryClassification, s, null, y, labels));
        Assert.Equal(bce, Value(distilled.Total), 12);
        Assert.Equal(bce, Value(scratch.Total), 12);
        Assert.Equal(0.0, Value(distilled["binary-kd"]));
        Assert.Equal(["bce"], scratch.Terms.Select(x => x.Key));
    }

    [Fact]
    public void Binary_kd_rows_without_a_label_learn_from_the_teacher_alone_and_it_vanishes_where_the_student_matches()
    {
        using var scope = NewDisposeScope();
        const double temperature = 2.0;
        var s = Leaf(Column(0.3, -1.2, 2.5, -0.1));
        var t = Column(1.0, -2.0, 2.5, 3.0);
        var labels = Ints(1, -1, -1, 0);
        var terms = DistillationLoss.BinaryKd(temperature).Compute(
            Context(DistillationTask.BinaryClassification, s, t, Column(1, 0, 0, 0), labels));
        terms.Total.backward();
        var grad = LossGoldens.Flat(s.grad!);
        double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        // d/ds of T²·KL(Bern(σ(t/T)) ‖ Bern(σ(s/T))) / B = T·(σ(s/T) − σ(t/T)) / B on the unlabelled rows 1 and 2.
        Assert.Equal(temperature * (Sigmoid(-1.2 / temperature) - Sigmoid(-2.0 / temperature)) / 4, grad[1], 12);
        Assert.Equal(0.0, grad[2], 12);                                     // row 2: student = teacher
        Assert.Equal((Sigmoid(0.3) - 1) / 4, grad[0], 12);                  // row 0: labelled, α = 0 → BCE only

        // Targets of unlabelled rows are never read.
        var other = DistillationLoss.BinaryKd(temperature).Compute(
            Context(DistillationTask.BinaryClassification, s, t, Column(1, 1, 1, 0), labels));
        Assert.Equal(Value(terms.Total), Value(other.Total), 12);
    }

    [Fact]
    public void Binary_kd_refuses_a_teacher_given_as_probabilities_and_a_batch_without_targets()
    {
        using var scope = NewDisposeScope();
        var context = new LossContext
        {
            Task = DistillationTask.BinaryClassification, StudentLogits = Column(0.1), Teacher = Column(0.9),
            TeacherKind = TeacherOutputKind.Probabilities, Targets = Column(1), Labels = Ints(1),
        };
        var ex = Assert.Throws<ArgumentException>(() => DistillationLoss.BinaryKd().Compute(context));
        Assert.Contains("one logit per row", ex.Message);
        var noTargets = new LossContext { StudentLogits = Column(0.1), Labels = Ints(1) };
        Assert.Contains("Targets", Assert.Throws<ArgumentException>(() => DistillationLoss.BinaryKd().Compute(noTargets)).Message);
    }

    // ---- regression ----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(RegressionDistance.Mse)]
    [InlineData(RegressionDistance.Huber)]
    [InlineData(RegressionDistance.L1)]
    public void Regression_kd_with_alpha_zero_and_full_labels_equals_the_scratch_loss(RegressionDistance distance)
    {
        using var scope = NewDisposeScope();
        var s = Matrix(new[,] { { 0.5, -1.0 }, { 2.0, 0.1 }, { -0.3, 3.0 } });
        var t = Matrix(new[,] { { 0.4, -0.8 }, { 1.0, 0.0 }, { 0.2, 2.0 } });
        var y = Matrix(new[,] { { 1.0, -1.5 }, { 0.0, 0.3 }, { -0.5, 0.5 } });
        var labels = Ints(0, 0, 0);
        var loss = DistillationLoss.RegressionKd(distance: distance);
        double distilled = Value(loss.Compute(Context(DistillationTask.Regression, s, t, y, labels)).Total);
        double scratch = Value(loss.Compute(Context(DistillationTask.Regression, s, null, y, labels)).Total);
        Assert.Equal(scratch, distilled, 12);
        if (distance == RegressionDistance.Mse) Assert.Equal(Value((s - y).square().mean()), scratch, 12);
    }

    [Fact]
    public void Regression_kd_rows_without_a_label_follow_the_teacher()
    {
        using var scope = NewDisposeScope();
        var s = Leaf(Matrix(new[,] { { 0.5, -1.0 }, { 2.0, 0.1 } }));
        var t = Matrix(new[,] { { 0.4, -0.8 }, { 1.0, 0.0 } });
        var terms = DistillationLoss.RegressionKd().Compute(
            Context(DistillationTask.Regression, s, t, Matrix(new[,] { { 1.0, -1.5 }, { 0.0, 0.0 } }), Ints(0, -1)));
        terms.Total.backward();
        var grad = LossGoldens.Flat(s.grad!);
        // Row 1 (no label): d/ds of mean_k (s − t)² / B = 2(s − t) / (k·B).
        Assert.Equal(2 * (2.0 - 1.0) / 4, grad[2], 12);
        Assert.Equal(2 * (0.1 - 0.0) / 4, grad[3], 12);
        // Row 0 (label, α = 0): the label alone.
        Assert.Equal(2 * (0.5 - 1.0) / 4, grad[0], 12);
        Assert.Equal(["mse-label", "mse-teacher"], terms.Terms.Select(x => x.Key));
    }

    [Fact]
    public void Teacher_bounded_term_switches_off_where_the_student_beats_the_teacher_by_the_margin()
    {
        using var scope = NewDisposeScope();
        var y = Column(0, 0, 0);
        var t = Column(1.0, 0.1, 0.8);
        // Row 0: student error 0.01 + margin 0.5 < teacher error 1 → off. Row 1: 1 > 0.01 → on. Row 2: 0.25 + 0.5 > 0.64 → on.
        var s = Column(0.1, 1.0, 0.5);
        var loss = DistillationLoss.TeacherBounded(margin: 0.5, weight: 2.0, distance: RegressionDistance.Mse);
        var terms = loss.Compute(Context(DistillationTask.Regression, s, t, y, Ints(0, 0, 0)));
        Assert.Equal(2.0 * (1.0 + 0.25) / 3, Value(terms["teacher-bounded"]), 12);
        Assert.Equal((0.01 + 1.0 + 0.25) / 3, Value(terms["mse-label"]), 12);
        Assert.Equal(0.0, Value(terms["mse-teacher"]));
        // With margin 0 row 2 is also off (0.25 < 0.64).
        var strict = DistillationLoss.TeacherBounded(margin: 0, weight: 2.0, distance: RegressionDistance.Mse)
            .Compute(Context(DistillationTask.Regression, s, t, y, Ints(0, 0, 0)));
        Assert.Equal(2.0 * 1.0 / 3, Value(strict["teacher-bounded"]), 12);
    }

    [Fact]
    public void Bernoulli_kl_is_zero_where_the_sigmoid_hits_the_target_and_refuses_targets_outside_the_unit_interval()
    {
        using var scope = NewDisposeScope();
        var y = Column(0.2, 0.9, 0.5);
        var logits = (y / (1 - y)).log();
        var terms = DistillationLoss.BernoulliKl().Compute(Context(DistillationTask.Regression, logits, null, y, Ints(0, 0, 0)));
        Assert.Equal(0.0, Value(terms.Total), 12);
        var ex = Assert.Throws<ArgumentException>(() => DistillationLoss.BernoulliKl().Compute(
            Context(DistillationTask.Regression, Column(0, 0), null, Column(0.5, 1.5), Ints(0, 0))));
        Assert.Contains("[0, 1]", ex.Message);
        Assert.Contains("1.5", ex.Message);
        Assert.Throws<ArgumentException>(() => DistillationLoss.BernoulliKl().Compute(
            Context(DistillationTask.Regression, Column(0, 0), null, Column(0.5, double.NaN), Ints(0, 0))));
    }

    [Fact]
    public void Tolerant_tough_needs_both_teachers_and_on_unlabelled_rows_takes_the_tough_teacher_as_target()
    {
        using var scope = NewDisposeScope();
        var s = Matrix(new[,] { { 0.5, -1.0 } });
        var tolerant = Matrix(new[,] { { 0.2, -0.2 } });
        var tough = Matrix(new[,] { { 0.5, -1.0 } });
        var one = new LossContext
        {
            Task = DistillationTask.Regression, StudentLogits = s, Teacher = tough, Teachers = [tough], TeacherWeights = [1.0],
            Targets = Matrix(new[,] { { 0.0, 0.0 } }), Labels = Ints(-1),
        };
        var ex = Assert.Throws<ArgumentException>(() => DistillationLoss.TolerantTough().Compute(one));
        Assert.Contains("TeacherColumnNames", ex.Message);

        // The student sits on the tough teacher of an unlabelled row: nothing to learn from either teacher there.
        var two = new LossContext
        {
            Task = DistillationTask.Regression, StudentLogits = s, Teacher = tough, Teachers = [tolerant, tough],
            TeacherWeights = [0.5, 0.5], Targets = Matrix(new[,] { { 9.0, 9.0 } }), Labels = Ints(-1),
        };
        var terms = DistillationLoss.TolerantTough().Compute(two);
        Assert.All(terms.Terms, term => Assert.Equal(0.0, Value(term.Value), 12));
    }

    // ---- ranking -------------------------------------------------------------------------------------------------

    private static Tensor Groups => Ints(0, 0, 0, 1, 1, 2, 2, 2, 2);

    [Fact]
    public void Margin_mse_and_listwise_kl_ignore_a_constant_added_to_each_group_of_student_scores()
    {
        using var scope = NewDisposeScope();
        var t = Column(1.0, -0.5, 2.0, 0.3, 0.1, -1.0, 0.0, 0.5, 4.0);
        var shift = Column(5, 5, 5, -3, -3, 100, 100, 100, 100);
        var grades = Column(2, 0, 1, 1, 0, 0, 1, 2, 3);
        foreach (var loss in new DistillationLoss[] { DistillationLoss.MarginMse(), DistillationLoss.ListwiseKl(2.0) })
        {
            var s = Leaf(t + shift);
            var terms = loss.Compute(Context(DistillationTask.Ranking, s, t, grades, Ints(0, 0, 0, 0, 0, 0, 0, 0, 0), Groups));
            terms.Total.backward();
            Assert.Equal(0.0, Value(terms.Total), 10);
            Assert.All(LossGoldens.Flat(s.grad!), g => Assert.Equal(0.0, g, 10));
        }
    }

    [Fact]
    public void Margin_mse_leaves_out_pairs_of_equally_relevant_labelled_rows_only()
    {
        using var scope = NewDisposeScope();
        var t = Column(0, 0, 0);
        var s = Column(1, 0, 0);                  // margins: (0,1) = 1, (0,2) = 1, (1,2) = 0
        var g = Ints(0, 0, 0);
        double Loss(Tensor grades, Tensor labels)
            => Value(DistillationLoss.MarginMse().Compute(Context(DistillationTask.Ranking, s, t, grades, labels, g)).Total);
        Assert.Equal(2.0 / 3, Loss(Column(1, 0, 2), Ints(0, 0, 0)), 12);    // three pairs of different grades
        Assert.Equal(1.0 / 2, Loss(Column(1, 1, 2), Ints(0, 0, 0)), 12);    // pair (0,1) tied → left out
        Assert.Equal(2.0 / 3, Loss(Column(1, 1, 2), Ints(0, -1, 0)), 12);   // row 1 unlabelled → the pair counts again
    }

    [Fact]
    public void Rank_net_uses_only_the_pairs_the_teacher_orders()
    {
        using var scope = NewDisposeScope();
        var s = Leaf(Column(0.2, -0.4, 1.0));
        var t = Column(1, 1, 0);                  // pairs (0,2) and (1,2); (0,1) tied
        var terms = DistillationLoss.RankNet().Compute(Context(DistillationTask.Ranking, s, t, Column(0, 0, 0), Ints(-1, -1, -1), Ints(0, 0, 0)));
        double Softplus(double x) => Math.Log(1 + Math.Exp(x));
        Assert.Equal((Softplus(-(0.2 - 1.0)) + Softplus(-(-0.4 - 1.0))) / 2, Value(terms.Total), 12);
        var tied = DistillationLoss.RankNet().Compute(Context(DistillationTask.Ranking, s, Column(2, 2, 2), Column(0, 0, 0), Ints(-1, -1, -1), Ints(0, 0, 0)));
        Assert.Equal(0.0, Value(tied.Total));
    }

    [Fact]
    public void Ranking_kd_with_alpha_zero_and_full_labels_equals_list_net_and_its_scratch_form()
    {
        using var scope = NewDisposeScope();
        var s = Column(0.3, -1.0, 2.0, 0.5, 0.1, -0.2, 1.5, 0.0, 0.7);
        var t = Column(1.0, -0.5, 2.0, 0.3, 0.1, -1.0, 0.0, 0.5, 4.0);
        var grades = Column(2, 0, 1, 1, 0, 0, 1, 2, 3);
        var labels = Ints(0, 0, 0, 0, 0, 0, 0, 0, 0);
        double listNet = Value(DistillationLoss.ListNet().Compute(Context(DistillationTask.Ranking, s, t, grades, labels, Groups)).Total);
        double distilled = Value(DistillationLoss.RankingKd().Compute(Context(DistillationTask.Ranking, s, t, grades, labels, Groups)).Total);
        double scratch = Value(DistillationLoss.RankingKd().Compute(Context(DistillationTask.Ranking, s, null, grades, labels, Groups)).Total);
        Assert.Equal(listNet, distilled, 12);
        Assert.Equal(listNet, scratch, 12);
        // ListNet of group 1 by hand: target softmax(1, 0), student softmax(0.5, 0.1).
        double p = Math.Exp(1) / (Math.Exp(1) + 1), q = Math.Exp(0.5) / (Math.Exp(0.5) + Math.Exp(0.1));
        var single = DistillationLoss.ListNet().Compute(Context(DistillationTask.Ranking, Column(0.5, 0.1), null, Column(1, 0), Ints(0, 0), Ints(0, 0)));
        Assert.Equal(-(p * Math.Log(q) + (1 - p) * Math.Log(1 - q)), Value(single.Total), 12);
    }

    [Fact]
    public void Ranking_kd_teaches_a_partly_labelled_group_from_the_teacher_alone()
    {
        using var scope = NewDisposeScope();
        var s = Column(0.3, -1.0, 2.0);
        var t = Column(1.0, -0.5, 2.0);
        var g = Ints(0, 0, 0);
        var partly = DistillationLoss.RankingKd().Compute(Context(DistillationTask.Ranking, s, t, Column(2, 0, 0), Ints(0, 0, -1), g));
        var kl = DistillationLoss.ListwiseKl().Compute(Context(DistillationTask.Ranking, s, t, Column(2, 0, 0), Ints(0, 0, -1), g));
        Assert.Equal(0.0, Value(partly["listnet"]));
        Assert.Equal(Value(kl.Total), Value(partly["listwise-kl"]), 12);
    }

    [Fact]
    public void Ranking_losses_refuse_a_batch_without_group_ids_with_unnumbered_groups_or_with_several_outputs()
    {
        using var scope = NewDisposeScope();
        var noGroups = Context(DistillationTask.Ranking, Column(0.1, 0.2), Column(0, 1), Column(1, 0), Ints(0, 0));
        Assert.Contains("GroupIds", Assert.Throws<ArgumentException>(() => DistillationLoss.MarginMse().Compute(noGroups)).Message);
        var wide = Context(DistillationTask.Ranking, Matrix(new[,] { { 0.1, 0.2 } }), Matrix(new[,] { { 0.1, 0.2 } }),
            Matrix(new[,] { { 1.0, 0.0 } }), Ints(0), Ints(0));
        Assert.Contains("one score per row", Assert.Throws<ArgumentException>(() => DistillationLoss.RankingKd().Compute(wide)).Message);
        var shortGroups = Context(DistillationTask.Ranking, Column(0.1, 0.2), Column(0, 1), Column(1, 0), Ints(0, 0), Ints(0));
        Assert.Contains("one group id per row", Assert.Throws<ArgumentException>(() => DistillationLoss.ListNet().Compute(shortGroups)).Message);
        var rawIds = Context(DistillationTask.Ranking, Column(0.1, 0.2), Column(0, 1), Column(1, 0), Ints(0, 0), Ints(7, 7));
        Assert.Contains("numbered 0..G−1", Assert.Throws<ArgumentException>(() => DistillationLoss.RankNet().Compute(rawIds)).Message);
    }

    [Fact]
    public void Task_losses_refuse_a_teacher_of_another_shape()
    {
        using var scope = NewDisposeScope();
        var context = Context(DistillationTask.Regression, Matrix(new[,] { { 0.1, 0.2 } }), Matrix(new[,] { { 0.1 } }),
            Matrix(new[,] { { 0.0, 0.0 } }), Ints(0));
        var ex = Assert.Throws<ArgumentException>(() => DistillationLoss.RegressionKd().Compute(context));
        Assert.Contains("[1, 1]", ex.Message);
        Assert.Contains("[1, 2]", ex.Message);
    }
}
