using MLNet.Distillation.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Losses;

public class CompositionTests
{
    private static LossContext Context(int epoch = 0) => LossGoldens.Case("missing_labels", ScalarType.Float64).Context(epoch);

    private static double Value(Tensor t) => LossGoldens.Item(t);

    [Fact]
    public void A_sum_keeps_every_named_term_of_its_parts()
    {
        using var scope = NewDisposeScope();
        var terms = (DistillationLoss.Dkd(warmupEpochs: 0) + DistillationLoss.Sinkhorn()).Compute(Context());
        Assert.Equal(["ce", "tckd", "nckd", "sinkhorn"], terms.Terms.Select(t => t.Key));
    }

    [Fact]
    public void The_total_of_a_sum_is_the_sum_of_the_parts_totals()
    {
        using var scope = NewDisposeScope();
        var ctx = Context();
        double a = Value(DistillationLoss.Nkd().Compute(ctx).Total), b = Value(DistillationLoss.ReverseKl().Compute(ctx).Total);
        Assert.Equal(a + b, Value((DistillationLoss.Nkd() + DistillationLoss.ReverseKl()).Compute(ctx).Total), 1e-12);
    }

    [Fact]
    public void Repeated_term_names_get_a_numeric_suffix()
    {
        using var scope = NewDisposeScope();
        var terms = (DistillationLoss.CrossEntropy() + DistillationLoss.Dkd()).Compute(Context());
        Assert.Equal(["ce", "ce2", "tckd", "nckd"], terms.Terms.Select(t => t.Key));
    }

    [Fact]
    public void Nested_sums_are_flattened()
    {
        var sum = (DistillationLoss.CrossEntropy() + DistillationLoss.ReverseKl()) + (DistillationLoss.Mae() + DistillationLoss.Sinkhorn());
        Assert.Equal(4, Assert.IsType<CompositeLoss>(sum).Parts.Count);
    }

    [Fact]
    public void A_constant_weight_scales_every_term_from_either_side()
    {
        using var scope = NewDisposeScope();
        var ctx = Context();
        var plain = DistillationLoss.Dkd(warmupEpochs: 0).Compute(ctx).ToValues();
        var left = (0.25 * DistillationLoss.Dkd(warmupEpochs: 0)).Compute(ctx).ToValues();
        var right = (DistillationLoss.Dkd(warmupEpochs: 0) * 0.25).Compute(ctx).ToValues();
        foreach (var (name, v) in plain)
        {
            Assert.Equal(0.25 * v, left[name], 1e-12);
            Assert.Equal(0.25 * v, right[name], 1e-12);
        }
    }

    [Fact]
    public void A_scheduled_weight_follows_its_schedule_across_epochs()
    {
        using var scope = NewDisposeScope();
        var loss = DistillationLoss.ReverseKl().WithWeight(WeightSchedule.LinearWarmup(2.0, 4));
        double unweighted = Value(DistillationLoss.ReverseKl().Compute(Context()).Total);
        Assert.Equal(0.5 * unweighted, Value(loss.Compute(Context(epoch: 0)).Total), 1e-12);
        Assert.Equal(1.5 * unweighted, Value(loss.Compute(Context(epoch: 2)).Total), 1e-12);
        Assert.Equal(2.0 * unweighted, Value(loss.Compute(Context(epoch: 9)).Total), 1e-12);
    }

    [Fact]
    public void Linear_warm_up_rises_from_one_step_above_zero_to_its_value()
    {
        var w = WeightSchedule.LinearWarmup(1.0, 20);
        Assert.Equal(0.05, w.At(0, 100, 0), 12);
        Assert.Equal(0.5, w.At(9, 100, 0), 12);
        Assert.Equal(1.0, w.At(19, 100, 0), 12);
        Assert.Equal(1.0, w.At(80, 100, 0), 12);
    }

    [Fact]
    public void A_warm_up_of_zero_epochs_is_a_constant()
    {
        Assert.Equal(3.0, WeightSchedule.LinearWarmup(3.0, 0).At(0, 10, 0));
        Assert.Equal(3.0, WeightSchedule.Constant(3.0).At(7, 10, 123));
    }

    [Fact]
    public void A_sum_needs_a_teacher_when_any_part_does()
    {
        Assert.False((DistillationLoss.CrossEntropy() + DistillationLoss.Mae()).RequiresTeacher);
        Assert.True((DistillationLoss.CrossEntropy() + DistillationLoss.TotalVariation()).RequiresTeacher);
        Assert.True((0.5 * DistillationLoss.TotalVariation()).RequiresTeacher);
    }

    [Fact]
    public void A_sum_asks_for_each_extra_head_once()
    {
        var sum = DistillationLoss.DualHead() + DistillationLoss.Uskd() + 0.5 * DistillationLoss.DualHead(temperature: 2);
        Assert.Equal([DualHeadLoss.AuxHeadName, UskdLoss.WeakHeadName], sum.ExtraHeads.Select(h => h.Name));
    }

    [Fact]
    public void A_sum_needs_held_out_data_when_any_part_does_and_forwards_it()
    {
        using var scope = NewDisposeScope();
        var probe = new HeldOutProbe();
        var sum = DistillationLoss.CrossEntropy() + 2.0 * probe;
        Assert.True(sum.NeedsHeldOutData);
        sum.LearnFromHeldOut(Context());
        Assert.Equal(1, probe.HeldOutCalls);
    }

    [Fact]
    public void Disposing_a_sum_disposes_its_parts()
    {
        var probe = new HeldOutProbe();
        var sum = DistillationLoss.CrossEntropy() + 0.5 * probe;
        sum.Dispose();
        Assert.True(probe.Disposed);
    }

    [Fact]
    public void Names_describe_weights_and_parts()
    {
        Assert.Equal("ce + 0.5*dkd(a=1,b=8,T=4)", (DistillationLoss.CrossEntropy() + 0.5 * DistillationLoss.Dkd()).Name);
        Assert.Equal("warmup(1, 20)*rkl(T=1)", DistillationLoss.ReverseKl().WithWeight(WeightSchedule.LinearWarmup(1, 20)).Name);
    }

    [Fact]
    public void Every_built_in_loss_has_a_distinct_name()
    {
        var names = AllBuiltIns().Select(l => l.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, n => Assert.False(string.IsNullOrWhiteSpace(n)));
    }

    [Fact]
    public void A_context_copy_with_other_logits_shares_everything_else()
    {
        using var scope = NewDisposeScope();
        var ctx = Context(epoch: 3);
        var other = zeros_like(ctx.StudentLogits);
        var copy = ctx.WithStudentLogits(other);
        Assert.Same(other, copy.StudentLogits);
        Assert.Same(ctx.Teacher, copy.Teacher);
        Assert.Same(ctx.Labels, copy.Labels);
        Assert.Same(ctx.Heads, copy.Heads);
        Assert.Equal(3, copy.Epoch);
    }

    internal static IEnumerable<DistillationLoss> AllBuiltIns() =>
    [
        DistillationLoss.Hinton(), DistillationLoss.CrossEntropy(), DistillationLoss.LogitMse(), DistillationLoss.ReverseKl(),
        DistillationLoss.JensenShannon(), DistillationLoss.GeneralizedJensenShannon(0.2), DistillationLoss.SkewKl(), DistillationLoss.SkewReverseKl(),
        DistillationLoss.TotalVariation(), DistillationLoss.Dkd(), DistillationLoss.Nkd(), DistillationLoss.Uskd(), DistillationLoss.Sinkhorn(),
        DistillationLoss.ZLoss(), DistillationLoss.ZLossDistillation(), DistillationLoss.LdrKl(), DistillationLoss.AldrKl(),
        DistillationLoss.SymmetricCrossEntropy(), DistillationLoss.SymmetricCrossEntropyToTeacher(), DistillationLoss.GeneralizedCrossEntropy(),
        DistillationLoss.Mae(), DistillationLoss.CompSum(3), DistillationLoss.ConfidenceLimiting(), DistillationLoss.DualHead(),
        DistillationLoss.TGeoKd(), DistillationLoss.MultiSampleDropout(DistillationLoss.Hinton()),
    ];

    /// <summary>A loss that records held-out calls and disposal.</summary>
    private sealed class HeldOutProbe : DistillationLoss
    {
        public int HeldOutCalls { get; private set; }
        public bool Disposed { get; private set; }
        public override string Name => "probe";
        public override bool RequiresTeacher => false;
        public override bool NeedsHeldOutData => true;
        public override void LearnFromHeldOut(LossContext context) => HeldOutCalls++;
        public override LossTerms Compute(LossContext context) => new LossTerms().Add("probe", context.StudentLogits.sum() * 0);
        protected override void Dispose(bool disposing) => Disposed = true;
    }
}
