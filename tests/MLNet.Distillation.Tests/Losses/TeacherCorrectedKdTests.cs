using MLNet.Distillation.Losses;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Losses;

/// <summary>The default distillation loss: Hinton KD that leaves a labelled row to its label where the teacher gets it wrong.</summary>
public class TeacherCorrectedKdTests
{
    // Row 0: labelled 0, teacher right (top class 0). Row 1: labelled 2, teacher wrong (top class 1). Row 2: no label.
    private static readonly double[,] Student = { { 1.0, 0.2, -0.5 }, { 0.3, 0.1, 0.4 }, { -1.0, 2.0, 0.5 } };
    private static readonly double[,] Teacher = { { 2.5, 0.5, -1.0 }, { 0.0, 3.0, 1.0 }, { 0.2, 1.5, -0.3 } };
    private static readonly long[] Labels = [0, 2, -1];

    private static LossContext Context() => new()
    {
        StudentLogits = tensor(Student, ScalarType.Float64), Teacher = tensor(Teacher, ScalarType.Float64), Labels = tensor(Labels),
    };

    /// <summary>Per-row formulas written out independently of the library: log-softmax, KL and CE in plain doubles.</summary>
    private static double[] LogSoftmax(double[,] m, int row, double t)
    {
        var z = Enumerable.Range(0, 3).Select(j => m[row, j] / t).ToArray();
        double max = z.Max(), log = Math.Log(z.Sum(v => Math.Exp(v - max))) + max;
        return z.Select(v => v - log).ToArray();
    }

    private static double Kl(int row, double t)
    {
        var p = LogSoftmax(Teacher, row, t);
        var q = LogSoftmax(Student, row, t);
        return t * t * Enumerable.Range(0, 3).Sum(j => Math.Exp(p[j]) * (p[j] - q[j]));
    }

    private static double Ce(int row) => -LogSoftmax(Student, row, 1)[Labels[row]];

    [Theory]
    [InlineData(1.0, 0.5)]
    [InlineData(2.0, 0.9)]
    public void Right_rows_mix_kd_and_ce_wrong_rows_take_ce_alone_unlabelled_rows_take_kd_alone(double t, double alpha)
    {
        using var scope = NewDisposeScope();
        var terms = DistillationLoss.TeacherCorrected(t, alpha).Compute(Context());
        double kd = (alpha * Kl(0, t) + Kl(2, t)) / 3;
        double ce = ((1 - alpha) * Ce(0) + Ce(1)) / 3;
        Assert.Equal(kd, terms.Terms.Single(x => x.Key == "kd").Value.item<double>(), 10);
        Assert.Equal(ce, terms.Terms.Single(x => x.Key == "ce").Value.item<double>(), 10);
    }

    [Fact]
    public void With_a_teacher_right_on_every_labelled_row_it_is_Hinton_KD()
    {
        using var scope = NewDisposeScope();
        var context = new LossContext
        {
            StudentLogits = tensor(Student, ScalarType.Float64), Teacher = tensor(Teacher, ScalarType.Float64), Labels = tensor(new long[] { 0, 1, -1 }),
        };
        double corrected = DistillationLoss.TeacherCorrected(2, 0.7).Compute(context).Total.item<double>();
        double hinton = DistillationLoss.Hinton(2, 0.7).Compute(context).Total.item<double>();
        Assert.Equal(hinton, corrected, 12);
    }

    [Fact]
    public void Its_gradient_pulls_a_wrongly_taught_row_towards_its_label_only()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(Student, ScalarType.Float64).requires_grad_(true);
        var context = new LossContext { StudentLogits = logits, Teacher = tensor(Teacher, ScalarType.Float64), Labels = tensor(Labels) };
        DistillationLoss.TeacherCorrected().Compute(context).Total.backward();
        var g = logits.grad!;
        Assert.True(g[1, 2].item<double>() < 0, "the label's logit of the wrongly taught row goes up");
        Assert.True(g[1, 1].item<double>() > 0, "the teacher's wrong class goes down, as plain cross-entropy does");
    }
}
