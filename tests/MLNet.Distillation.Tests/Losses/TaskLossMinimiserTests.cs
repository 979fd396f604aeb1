using MLNet.Distillation.Losses;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Losses;

/// <summary>
/// Gradient descent on free student outputs (no network) drives each binary, regression and ranking loss to the minimiser
/// its paper intends: the teacher on unlabelled rows, the α-mix on labelled ones, σ(f) = y for the Bernoulli KL, the
/// target for the tolerant/tough loss, the teacher's margins, order or distribution within a group.
/// </summary>
public class TaskLossMinimiserTests
{
    private static Tensor Column(params double[] values) => tensor(values, [values.Length, 1], dtype: ScalarType.Float64);

    private static Tensor Ints(params long[] values) => tensor(values, dtype: ScalarType.Int64);

    /// <summary>Minimises <paramref name="loss"/> over the student outputs from <paramref name="start"/> with Adam; returns them.</summary>
    private static double[] Minimise(DistillationLoss loss, Tensor start, Func<Tensor, LossContext> context, int steps = 1000, double lr = 0.05)
    {
        var p = new Parameter(start.detach().clone());
        using var opt = optim.Adam([p], lr);
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            loss.Compute(context(p)).Total.backward();
            opt.step();
        }
        return LossGoldens.Flat(p);
    }

    [Fact]
    public void Binary_kd_moves_unlabelled_rows_to_the_teacher_and_labelled_rows_to_their_label()
    {
        using var scope = NewDisposeScope();
        var t = Column(1.5, -2.0, 0.5);
        var y = Column(1, 0, 0);
        var s = Minimise(DistillationLoss.BinaryKd(temperature: 2), Column(0, 0, 0), p => new LossContext
        {
            Task = DistillationTask.BinaryClassification, StudentLogits = p, Teacher = t, Targets = y, Labels = Ints(1, -1, -1),
        });
        Assert.Equal(-2.0, s[1], 2);
        Assert.Equal(0.5, s[2], 2);
        Assert.True(s[0] > 3, $"the labelled positive row should grow its logit, got {s[0]}");
    }

    [Fact]
    public void Regression_kd_reaches_the_alpha_mix_of_label_and_teacher_and_the_teacher_without_a_label()
    {
        using var scope = NewDisposeScope();
        var t = tensor(new double[,] { { 1.0, -1.0 }, { 2.0, 0.5 } });
        var y = tensor(new double[,] { { 0.0, 1.0 }, { 0.0, 0.0 } });
        var s = Minimise(DistillationLoss.RegressionKd(alpha: 0.25), zeros(2, 2, dtype: ScalarType.Float64), p => new LossContext
        {
            Task = DistillationTask.Regression, StudentLogits = p, Teacher = t, Targets = y, Labels = Ints(0, -1),
        });
        Assert.Equal([0.25, 0.5, 2.0, 0.5], s.Select(v => Math.Round(v, 3)));
    }

    [Fact]
    public void Bernoulli_kl_puts_the_sigmoid_of_the_output_on_the_target()
    {
        using var scope = NewDisposeScope();
        var y = Column(0.2, 0.7, 0.5);
        var s = Minimise(DistillationLoss.BernoulliKl(), Column(0, 0, 0), p => new LossContext
        {
            Task = DistillationTask.Regression, StudentLogits = p, Targets = y, Labels = Ints(0, 0, 0),
        });
        Assert.Equal([0.2, 0.7, 0.5], s.Select(v => Math.Round(1 / (1 + Math.Exp(-v)), 3)));
    }

    [Fact]
    public void Tolerant_tough_leads_the_student_to_the_hard_target()
    {
        using var scope = NewDisposeScope();
        var y = tensor(new double[,] { { 0.0, 1.0, -0.5 } });
        var tolerant = tensor(new double[,] { { 0.6, 0.2, 0.4 } });
        var tough = tensor(new double[,] { { 0.2, 1.3, -0.8 } });
        var s = Minimise(DistillationLoss.TolerantTough(), tensor(new double[,] { { 2.0, -1.0, 1.5 } }), p => new LossContext
        {
            Task = DistillationTask.Regression, StudentLogits = p, Teacher = tough, Teachers = [tolerant, tough],
            TeacherWeights = [0.5, 0.5], Targets = y, Labels = Ints(0),
        }, steps: 1500, lr: 0.01);
        Assert.All(s.Zip(new[] { 0.0, 1.0, -0.5 }), pair => Assert.True(Math.Abs(pair.First - pair.Second) < 0.03,
            $"student output {pair.First} should reach its target {pair.Second}"));
    }

    [Fact]
    public void Ranking_losses_reach_the_teachers_margins_order_and_distribution()
    {
        using var scope = NewDisposeScope();
        var t = Column(2.0, -1.0, 0.5, 1.0, 3.0);
        var groups = Ints(0, 0, 0, 1, 1);
        LossContext Context(Tensor p) => new()
        {
            Task = DistillationTask.Ranking, StudentLogits = p, Teacher = t, Targets = Column(0, 0, 0, 0, 0),
            Labels = Ints(-1, -1, -1, -1, -1), GroupIds = groups,
        };
        var start = Column(0, 0.1, 0.2, 0.3, 0);

        var margin = Minimise(DistillationLoss.MarginMse(), start, Context);
        Assert.Equal(3.0, margin[0] - margin[1], 3);
        Assert.Equal(1.5, margin[0] - margin[2], 3);
        Assert.Equal(-2.0, margin[3] - margin[4], 3);

        var order = Minimise(DistillationLoss.RankNet(), start, Context, steps: 200);
        Assert.True(order[0] > order[2] && order[2] > order[1] && order[4] > order[3], $"RankNet order: {string.Join(", ", order)}");

        var kl = Minimise(DistillationLoss.ListwiseKl(temperature: 2), start, Context);
        Assert.Equal(3.0, kl[0] - kl[1], 2);
        Assert.Equal(-2.0, kl[3] - kl[4], 2);
    }
}
