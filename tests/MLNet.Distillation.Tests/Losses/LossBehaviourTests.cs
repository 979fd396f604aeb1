using MLNet.Distillation.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Losses;

/// <summary>Properties of individual methods that the paper states and the golden numbers alone would not make obvious.</summary>
public class LossBehaviourTests
{
    private static LossGoldens.CaseInputs Basic() => LossGoldens.Case("basic", ScalarType.Float64);

    private static double Total(DistillationLoss loss, LossContext context) => LossGoldens.Item(loss.Compute(context).Total);

    [Fact]
    public void Nkd_non_target_term_does_not_depend_on_the_target_logit()
    {
        // The cls_KD reference builds its "non-target" mask with scatter_(1, label, 1), so its term includes the target.
        using var scope = NewDisposeScope();
        var c = Basic();
        DistillationLoss.Nkd(temperature: 2).Compute(c.Context())["nkd_nontarget"].backward();
        var grad = c.Student.grad!;
        var targetGrad = grad.gather(1, c.Labels.unsqueeze(1));
        Assert.Equal(0.0, LossGoldens.Item(targetGrad.abs().max()));
        Assert.True(LossGoldens.Item(grad.abs().sum()) > 0);
    }

    [Fact]
    public void Dkd_ramps_its_distillation_terms_linearly_over_the_warm_up()
    {
        using var scope = NewDisposeScope();
        var c = Basic();
        var dkd = DistillationLoss.Dkd(warmupEpochs: 20);
        var first = dkd.Compute(c.Context(epoch: 0)).ToValues();
        var full = dkd.Compute(c.Context(epoch: 19)).ToValues();
        var later = dkd.Compute(c.Context(epoch: 50)).ToValues();
        Assert.Equal(full["nckd"] / 20, first["nckd"], 1e-9);
        Assert.Equal(full["tckd"] / 20, first["tckd"], 1e-9);
        Assert.Equal(full["nckd"], later["nckd"], 1e-12);
        Assert.Equal(full["ce"], first["ce"], 1e-12);
    }

    [Fact]
    public void Z_loss_is_invariant_to_shifting_and_scaling_the_student_logits()
    {
        using var scope = NewDisposeScope();
        var c = Basic();
        var z = DistillationLoss.ZLoss(a: 0.7, b: 1.5);
        double original = Total(z, c.Context());
        double moved = Total(z, c.Context().WithStudentLogits(c.Student * 3.5 + 11));
        Assert.Equal(original, moved, 1e-9);
    }

    [Fact]
    public void Confidence_limiting_with_one_attempt_is_cross_entropy()
    {
        using var scope = NewDisposeScope();
        var c = LossGoldens.Case("missing_labels", ScalarType.Float64);
        Assert.Equal(Total(DistillationLoss.CrossEntropy(), c.Context()), Total(DistillationLoss.ConfidenceLimiting(1), c.Context()), 1e-12);
    }

    [Fact]
    public void Confidence_limiting_stops_rewarding_confidence_that_N_attempts_do_not_need()
    {
        using var scope = NewDisposeScope();
        // A row already right with probability 0.9: CE keeps pushing, pass@16 has (almost) nothing left to gain.
        var logits = tensor(new[] { Math.Log(9.0), 0.0 }, [1, 2], dtype: ScalarType.Float64).requires_grad_(true);
        var ctx = new LossContext { StudentLogits = logits, Labels = tensor(new long[] { 0 }) };
        DistillationLoss.ConfidenceLimiting(16).Compute(ctx).Total.backward();
        double dco = Math.Abs(LossGoldens.Flat(logits.grad!)[0]);
        logits.grad!.zero_();
        DistillationLoss.CrossEntropy().Compute(ctx).Total.backward();
        double ce = Math.Abs(LossGoldens.Flat(logits.grad!)[0]);
        Assert.True(dco < ce * 1e-6, $"DCO gradient {dco} vs CE gradient {ce}");
    }

    [Fact]
    public void Comp_sum_with_tau_one_is_cross_entropy()
    {
        using var scope = NewDisposeScope();
        var c = LossGoldens.Case("missing_labels", ScalarType.Float64);
        Assert.Equal(Total(DistillationLoss.CrossEntropy(), c.Context()), Total(DistillationLoss.CompSum(1), c.Context()), 1e-12);
    }

    [Fact]
    public void Symmetric_jensen_shannon_is_unchanged_when_student_and_teacher_swap()
    {
        using var scope = NewDisposeScope();
        var c = Basic();
        var jsd = DistillationLoss.JensenShannon(temperature: 2);
        var swapped = new LossContext { StudentLogits = c.Teacher, Teacher = c.Student.detach(), Labels = c.Labels };
        Assert.Equal(Total(jsd, c.Context()), Total(jsd, swapped), 1e-12);
    }

    [Fact]
    public void Skew_kl_without_skew_is_the_kd_term_of_hinton()
    {
        using var scope = NewDisposeScope();
        var c = Basic();
        double hinton = LossGoldens.Item(DistillationLoss.Hinton(temperature: 3, alpha: 1).Compute(c.Context())["kd"]);
        Assert.Equal(hinton, Total(DistillationLoss.SkewKl(skew: 0, temperature: 3), c.Context()), 1e-10);
    }

    [Fact]
    public void Skew_reverse_kl_without_skew_is_reverse_kl()
    {
        using var scope = NewDisposeScope();
        var c = LossGoldens.Case("probability_teacher", ScalarType.Float64);
        Assert.Equal(Total(DistillationLoss.ReverseKl(2), c.Context()), Total(DistillationLoss.SkewReverseKl(0, 2), c.Context()), 1e-10);
    }

    [Fact]
    public void Sinkhorn_on_a_batch_of_one_is_the_l1_distance_of_the_two_distributions()
    {
        using var scope = NewDisposeScope();
        var c = LossGoldens.Case("batch_of_one", ScalarType.Float64);
        var p = nn.functional.softmax(c.Teacher, 1);
        var q = nn.functional.softmax(c.Student, 1);
        Assert.Equal(LossGoldens.Item((p - q).abs().sum()), Total(DistillationLoss.Sinkhorn(), c.Context()), 1e-10);
    }

    [Fact]
    public void Sinkhorn_does_not_underflow_for_a_tiny_epsilon()
    {
        using var scope = NewDisposeScope();
        var c = LossGoldens.Case("basic", ScalarType.Float32);
        var terms = DistillationLoss.Sinkhorn(epsilon: 1e-4, iterations: 50).Compute(c.Context());
        terms.Total.backward();
        Assert.True(double.IsFinite(LossGoldens.Item(terms.Total)));
        Assert.All(LossGoldens.Flat(c.Student.grad!), g => Assert.True(double.IsFinite(g)));
    }

    [Fact]
    public void Label_losses_skip_unlabelled_rows()
    {
        using var scope = NewDisposeScope();
        var c = LossGoldens.Case("missing_labels", ScalarType.Float64);
        var labelled = c.Labels.ge(0);
        var kept = new LossContext { StudentLogits = c.Student[labelled], Labels = c.Labels[labelled] };
        foreach (var loss in new DistillationLoss[] { DistillationLoss.GeneralizedCrossEntropy(), DistillationLoss.Mae(), DistillationLoss.LdrKl(),
                     DistillationLoss.AldrKl(), DistillationLoss.ZLoss(), DistillationLoss.SymmetricCrossEntropy(), DistillationLoss.ConfidenceLimiting() })
            Assert.Equal(Total(loss, kept), Total(loss, c.Context()), 1e-12);
    }

    [Fact]
    public void Teacher_free_losses_need_no_teacher()
    {
        using var scope = NewDisposeScope();
        var c = Basic();
        var noTeacher = new LossContext { StudentLogits = c.Student, Labels = c.Labels, Heads = c.Context().Heads };
        foreach (var loss in new DistillationLoss[] { DistillationLoss.Uskd(), DistillationLoss.GeneralizedCrossEntropy(), DistillationLoss.Mae(),
                     DistillationLoss.LdrKl(), DistillationLoss.AldrKl(), DistillationLoss.ZLoss(), DistillationLoss.SymmetricCrossEntropy(),
                     DistillationLoss.ConfidenceLimiting(), DistillationLoss.CompSum(3) })
        {
            Assert.False(loss.RequiresTeacher, loss.Name);
            Assert.True(double.IsFinite(Total(loss, noTeacher)), loss.Name);
        }
    }

    [Fact]
    public void A_distillation_loss_without_a_teacher_says_how_to_provide_one()
    {
        using var scope = NewDisposeScope();
        var c = Basic();
        var noTeacher = new LossContext { StudentLogits = c.Student, Labels = c.Labels };
        var ex = Assert.Throws<InvalidOperationException>(() => DistillationLoss.Dkd().Compute(noTeacher));
        Assert.Contains("TeacherColumnName", ex.Message);
    }

    [Fact]
    public void A_teacher_with_the_wrong_number_of_classes_is_reported_with_both_shapes()
    {
        using var scope = NewDisposeScope();
        var c = Basic();
        var wrong = new LossContext { StudentLogits = c.Student, Teacher = zeros(6, 4, dtype: ScalarType.Float64), Labels = c.Labels };
        var ex = Assert.Throws<ArgumentException>(() => DistillationLoss.ReverseKl().Compute(wrong));
        Assert.Contains("[6, 4]", ex.Message);
        Assert.Contains("[6, 5]", ex.Message);
    }

    [Fact]
    public void Uskd_asks_for_its_weak_head_and_explains_when_it_is_missing()
    {
        using var scope = NewDisposeScope();
        var uskd = DistillationLoss.Uskd();
        Assert.Equal([UskdLoss.WeakHeadName], uskd.ExtraHeads.Select(h => h.Name));
        var c = Basic();
        var ex = Assert.Throws<InvalidOperationException>(() => uskd.Compute(new LossContext { StudentLogits = c.Student, Labels = c.Labels }));
        Assert.Contains(UskdLoss.WeakHeadName, ex.Message);
    }

    [Fact]
    public void Dual_head_asks_for_its_auxiliary_head_and_explains_when_it_is_missing()
    {
        using var scope = NewDisposeScope();
        var dual = DistillationLoss.DualHead();
        Assert.Equal([DualHeadLoss.AuxHeadName], dual.ExtraHeads.Select(h => h.Name));
        var c = Basic();
        var ex = Assert.Throws<InvalidOperationException>(() => dual.Compute(new LossContext { StudentLogits = c.Student, Teacher = c.Teacher, Labels = c.Labels }));
        Assert.Contains("aux", ex.Message);
    }

    [Fact]
    public void Dual_head_auxiliary_term_vanishes_when_the_auxiliary_logits_equal_the_teacher()
    {
        using var scope = NewDisposeScope();
        var c = Basic();
        var ctx = new LossContext
        {
            StudentLogits = c.Student, Teacher = c.Teacher, Labels = c.Labels,
            Heads = new Dictionary<string, Tensor> { [DualHeadLoss.AuxHeadName] = c.Teacher.clone() },
        };
        Assert.Equal(0.0, LossGoldens.Item(DistillationLoss.DualHead().Compute(ctx)["aux"]), 1e-12);
    }

    [Fact]
    public void Probability_teachers_and_their_logits_give_the_same_kl_family_losses()
    {
        using var scope = NewDisposeScope();
        var c = Basic();
        var asProbabilities = new LossContext
        {
            StudentLogits = c.Student, Teacher = nn.functional.softmax(c.Teacher, 1), TeacherKind = TeacherOutputKind.Probabilities, Labels = c.Labels,
        };
        foreach (var loss in new DistillationLoss[] { DistillationLoss.ReverseKl(2), DistillationLoss.JensenShannon(), DistillationLoss.Dkd(warmupEpochs: 0),
                     DistillationLoss.Nkd(), DistillationLoss.SkewKl(), DistillationLoss.TotalVariation(4), DistillationLoss.Sinkhorn() })
            Assert.Equal(Total(loss, c.Context()), Total(loss, asProbabilities), 1e-8);
    }

    [Fact]
    public void Loss_values_can_be_read_from_float64_terms()
    {
        using var scope = NewDisposeScope();
        var values = DistillationLoss.Hinton().Compute(Basic().Context()).ToValues();
        Assert.Equal(["kd", "ce"], values.Keys);
        Assert.All(values.Values, v => Assert.True(double.IsFinite(v)));
    }
}
