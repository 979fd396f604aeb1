using System.Text.Json;
using MLNet.Distillation.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Losses;

public class MultiSampleDropoutTests
{
    private static JsonElement Fixture => LossGoldens.Root.GetProperty("multiSampleDropout");

    public static TheoryData<int> GoldenIndices
    {
        get
        {
            var data = new TheoryData<int>();
            for (int i = 0; i < Fixture.GetProperty("goldens").GetArrayLength(); i++) data.Add(i);
            return data;
        }
    }

    private sealed record Setup(Tensor H, Tensor W, Tensor B, Tensor[] Masks, LossContext Context);

    private static Setup Build(string caseName)
    {
        var f = Fixture;
        var h = LossGoldens.Matrix(f.GetProperty("penultimate"), ScalarType.Float64, requiresGrad: true);
        var w = LossGoldens.Matrix(f.GetProperty("weight"), ScalarType.Float64, requiresGrad: true);
        var b = LossGoldens.Vector(f.GetProperty("bias"), ScalarType.Float64).requires_grad_(true);
        var masks = f.GetProperty("masks").EnumerateArray().Select(m => LossGoldens.Matrix(m, ScalarType.Float64)).ToArray();
        var c = LossGoldens.Case(caseName, ScalarType.Float64);
        Tensor Head(Tensor x) => x.matmul(w.t()) + b;
        var context = new LossContext
        {
            StudentLogits = Head(h), Teacher = c.Teacher, TeacherKind = c.Kind, Labels = c.Labels,
            Penultimate = h, MainHead = Head, Training = true,
        };
        return new Setup(h, w, b, masks, context);
    }

    [Theory]
    [MemberData(nameof(GoldenIndices))]
    public void Averaged_terms_over_fixed_masks_match_the_pytorch_reference(int index)
    {
        using var scope = NewDisposeScope();
        var g = Fixture.GetProperty("goldens")[index];
        var setup = Build(g.GetProperty("case").GetString()!);
        using var loss = new MultiSampleDropoutLoss(LossGoldens.CreateLoss(g.GetProperty("inner").GetString()!, g.GetProperty("params")),
            samples: setup.Masks.Length, dropoutRate: Fixture.GetProperty("dropout").GetDouble());
        var terms = loss.ComputeWithMasks(setup.Context, setup.Masks);
        var expected = g.GetProperty("terms").EnumerateObject().ToList();
        Assert.Equal(expected.Select(e => e.Name), terms.Terms.Select(t => t.Key));
        foreach (var (e, actual) in expected.Zip(terms.Terms))
            LossGoldens.Close(e.Value.GetDouble(), LossGoldens.Item(actual.Value), 1e-5, 1e-9, $"term {e.Name}");
        LossGoldens.Close(g.GetProperty("total").GetDouble(), LossGoldens.Item(terms.Total), 1e-5, 1e-9, "total");
    }

    [Theory]
    [MemberData(nameof(GoldenIndices))]
    public void Gradients_through_the_shared_head_match_the_pytorch_reference(int index)
    {
        using var scope = NewDisposeScope();
        var g = Fixture.GetProperty("goldens")[index];
        var setup = Build(g.GetProperty("case").GetString()!);
        using var loss = new MultiSampleDropoutLoss(LossGoldens.CreateLoss(g.GetProperty("inner").GetString()!, g.GetProperty("params")),
            samples: setup.Masks.Length, dropoutRate: Fixture.GetProperty("dropout").GetDouble());
        loss.ComputeWithMasks(setup.Context, setup.Masks).Total.backward();
        LossGoldens.Close(LossGoldens.FlatJson(g.GetProperty("gradPenultimate")), LossGoldens.Flat(setup.H.grad!), 1e-5, 1e-9, "d/dh");
        LossGoldens.Close(LossGoldens.FlatJson(g.GetProperty("gradWeight")), LossGoldens.Flat(setup.W.grad!), 1e-5, 1e-9, "d/dW");
        LossGoldens.Close(LossGoldens.FlatJson(g.GetProperty("gradBias")), LossGoldens.Flat(setup.B.grad!), 1e-5, 1e-9, "d/db");
    }

    [Fact]
    public void Zero_dropout_rate_equals_the_inner_loss_on_the_main_head()
    {
        using var scope = NewDisposeScope();
        var setup = Build("basic");
        using var loss = DistillationLoss.MultiSampleDropout(DistillationLoss.Hinton(), samples: 3, dropoutRate: 0);
        double expected = LossGoldens.Item(DistillationLoss.Hinton().Compute(setup.Context).Total);
        LossGoldens.Close(expected, LossGoldens.Item(loss.Compute(setup.Context).Total), 1e-12, 1e-12, "total");
    }

    [Fact]
    public void Random_masks_make_training_losses_differ_between_calls()
    {
        using var scope = NewDisposeScope();
        var setup = Build("basic");
        using var loss = DistillationLoss.MultiSampleDropout(DistillationLoss.CrossEntropy(), samples: 2, dropoutRate: 0.5);
        // TorchSharp's generator is process-wide and other tests seed it while this one runs, so two calls can draw the
        // same masks; ten calls that all draw the same would mean the masks are not random at all.
        var values = Enumerable.Range(0, 10).Select(_ => LossGoldens.Item(loss.Compute(setup.Context).Total)).ToArray();
        Assert.All(values, v => Assert.True(double.IsFinite(v)));
        Assert.True(values.Distinct().Count() > 1, $"ten training calls gave the same loss {values[0]}");
    }

    [Fact]
    public void Evaluation_mode_computes_the_inner_loss_once_on_the_context_logits()
    {
        using var scope = NewDisposeScope();
        var setup = Build("missing_labels");
        var eval = setup.Context.WithStudentLogits(setup.Context.StudentLogits);
        eval = new LossContext { StudentLogits = eval.StudentLogits, Teacher = eval.Teacher, TeacherKind = eval.TeacherKind, Labels = eval.Labels, Training = false };
        using var loss = DistillationLoss.MultiSampleDropout(DistillationLoss.Hinton(), samples: 4, dropoutRate: 0.5);
        double expected = LossGoldens.Item(DistillationLoss.Hinton().Compute(eval).Total);
        Assert.Equal(expected, LossGoldens.Item(loss.Compute(eval).Total));
    }

    [Fact]
    public void Training_without_penultimate_activations_explains_what_is_missing()
    {
        using var scope = NewDisposeScope();
        var c = LossGoldens.Case("basic", ScalarType.Float64);
        using var loss = DistillationLoss.MultiSampleDropout(DistillationLoss.CrossEntropy());
        var ex = Assert.Throws<InvalidOperationException>(() => loss.Compute(c.Context()));
        Assert.Contains("Penultimate", ex.Message);
    }

    [Fact]
    public void The_wrapper_forwards_teacher_need_extra_heads_and_held_out_learning_of_the_inner_loss()
    {
        using var msd = DistillationLoss.MultiSampleDropout(DistillationLoss.DualHead() + DistillationLoss.TGeoKd());
        Assert.True(msd.RequiresTeacher);
        Assert.True(msd.NeedsHeldOutData);
        Assert.Contains(msd.ExtraHeads, h => h.Name == DualHeadLoss.AuxHeadName);
        using var free = DistillationLoss.MultiSampleDropout(DistillationLoss.Uskd());
        Assert.False(free.RequiresTeacher);
    }
}
