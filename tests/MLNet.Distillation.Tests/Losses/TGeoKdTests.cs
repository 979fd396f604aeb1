using System.Text.Json;
using MLNet.Distillation.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Losses;

public class TGeoKdTests
{
    private static JsonElement Fixture => LossGoldens.Root.GetProperty("tgeo");

    public static TheoryData<string> Cases
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var g in Fixture.GetProperty("goldens").EnumerateArray()) data.Add(g.GetProperty("case").GetString()!);
            return data;
        }
    }

    /// <summary>A TGeo-KD loss whose fusion network holds the fixture's weights.</summary>
    private static TGeoKdLoss LossWithFixtureWeights(double virtualStep = 0.1)
    {
        var f = Fixture;
        var loss = new TGeoKdLoss(temperature: f.GetProperty("temperature").GetDouble(), hiddenSize: f.GetProperty("hidden").GetInt32(), virtualStep: virtualStep);
        loss.EnsureNetwork(5, ScalarType.Float64, CPU);
        var values = new[]
        {
            LossGoldens.Matrix(f.GetProperty("W1"), ScalarType.Float64), LossGoldens.Vector(f.GetProperty("b1"), ScalarType.Float64),
            LossGoldens.Matrix(f.GetProperty("W2"), ScalarType.Float64), LossGoldens.Vector(f.GetProperty("b2"), ScalarType.Float64),
        };
        using (no_grad())
            foreach (var (p, v) in loss.FusionParameters().Zip(values)) p.copy_(v);
        return loss;
    }

    private static JsonElement Golden(string caseName)
        => Fixture.GetProperty("goldens").EnumerateArray().First(g => g.GetProperty("case").GetString() == caseName);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_terms_match_the_pytorch_reference(string caseName)
    {
        using var scope = NewDisposeScope();
        using var loss = LossWithFixtureWeights();
        var g = Golden(caseName);
        var terms = loss.Compute(LossGoldens.Case(caseName, ScalarType.Float64).Context());
        foreach (var e in g.GetProperty("terms").EnumerateObject())
            LossGoldens.Close(e.Value.GetDouble(), LossGoldens.Item(terms[e.Name]), 1e-5, 1e-9, $"{caseName}: term {e.Name}");
        LossGoldens.Close(g.GetProperty("meanFusionRatio").GetDouble(), loss.LastMeanFusionRatio, 1e-5, 1e-9, "mean fusion ratio");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradient_with_respect_to_student_logits_matches_the_pytorch_reference(string caseName)
    {
        using var scope = NewDisposeScope();
        using var loss = LossWithFixtureWeights();
        var inputs = LossGoldens.Case(caseName, ScalarType.Float64);
        loss.Compute(inputs.Context()).Total.backward();
        LossGoldens.Close(LossGoldens.FlatJson(Golden(caseName).GetProperty("gradStudent")), LossGoldens.Flat(inputs.Student.grad!), 1e-5, 1e-9, "d/ds");
    }

    private sealed record Meta(LossContext Train, LossContext HeldOut, Func<Tensor, Tensor> Head);

    private static Meta BuildMeta(Func<Tensor, Tensor>? headOverride = null)
    {
        var m = Fixture.GetProperty("meta");
        var w = LossGoldens.Matrix(m.GetProperty("headWeight"), ScalarType.Float64);
        var b = LossGoldens.Vector(m.GetProperty("headBias"), ScalarType.Float64);
        Func<Tensor, Tensor> head = headOverride ?? (x => x.matmul(w.t()) + b);
        var hTr = LossGoldens.Matrix(m.GetProperty("trainPenultimate"), ScalarType.Float64);
        var hVa = LossGoldens.Matrix(m.GetProperty("heldOutPenultimate"), ScalarType.Float64);
        var train = new LossContext
        {
            StudentLogits = head(hTr), Teacher = LossGoldens.Matrix(m.GetProperty("trainTeacher"), ScalarType.Float64),
            Labels = LossGoldens.Labels(m.GetProperty("trainLabels")), Penultimate = hTr, MainHead = head, Training = true,
        };
        var heldOut = new LossContext
        {
            StudentLogits = head(hVa), Teacher = LossGoldens.Matrix(m.GetProperty("heldOutTeacher"), ScalarType.Float64),
            Labels = LossGoldens.Labels(m.GetProperty("heldOutLabels")), Penultimate = hVa, MainHead = head, Training = false,
        };
        return new Meta(train, heldOut, head);
    }

    [Fact]
    public void Bilevel_held_out_objective_matches_the_pytorch_reference()
    {
        using var scope = NewDisposeScope();
        using var loss = LossWithFixtureWeights(Fixture.GetProperty("meta").GetProperty("virtualStep").GetDouble());
        var meta = BuildMeta();
        loss.Compute(meta.Train);
        var outer = loss.MetaObjective(meta.HeldOut)!;
        LossGoldens.Close(Fixture.GetProperty("meta").GetProperty("outer").GetDouble(), LossGoldens.Item(outer), 1e-5, 1e-9, "held-out objective");
    }

    [Fact]
    public void Bilevel_gradient_with_respect_to_the_fusion_network_matches_the_pytorch_reference()
    {
        using var scope = NewDisposeScope();
        var m = Fixture.GetProperty("meta");
        using var loss = LossWithFixtureWeights(m.GetProperty("virtualStep").GetDouble());
        var meta = BuildMeta();
        loss.Compute(meta.Train);
        loss.MetaObjective(meta.HeldOut)!.backward();
        var p = loss.FusionParameters();
        LossGoldens.Close(LossGoldens.FlatJson(m.GetProperty("gradW1")), LossGoldens.Flat(p[0].grad!), 1e-5, 1e-9, "d/dW1");
        LossGoldens.Close(LossGoldens.FlatJson(m.GetProperty("gradB1")), LossGoldens.Flat(p[1].grad!), 1e-5, 1e-9, "d/db1");
        LossGoldens.Close(LossGoldens.FlatJson(m.GetProperty("gradW2")), LossGoldens.Flat(p[2].grad!), 1e-5, 1e-9, "d/dW2");
        LossGoldens.Close(LossGoldens.FlatJson(m.GetProperty("gradB2")), LossGoldens.Flat(p[3].grad!), 1e-5, 1e-9, "d/db2");
    }

    [Fact]
    public void Held_out_learning_updates_the_fusion_network_even_when_called_without_gradient()
    {
        using var scope = NewDisposeScope();
        using var loss = LossWithFixtureWeights();
        var meta = BuildMeta();
        loss.Compute(meta.Train);
        var before = loss.FusionParameters().Select(LossGoldens.Flat).ToArray();
        using (no_grad()) loss.LearnFromHeldOut(meta.HeldOut);
        var after = loss.FusionParameters().Select(LossGoldens.Flat).ToArray();
        Assert.Contains(before.Zip(after), pair => !pair.First.SequenceEqual(pair.Second));
        Assert.True(double.IsFinite(loss.LastHeldOutLoss));
    }

    [Fact]
    public void Repeated_held_out_steps_lower_the_held_out_objective()
    {
        using var scope = NewDisposeScope();
        using var loss = LossWithFixtureWeights(virtualStep: 1.0);
        var meta = BuildMeta();
        loss.Compute(meta.Train);
        double first = LossGoldens.Item(loss.MetaObjective(meta.HeldOut)!);
        for (int i = 0; i < 200; i++) loss.LearnFromHeldOut(meta.HeldOut);
        double last = LossGoldens.Item(loss.MetaObjective(meta.HeldOut)!);
        Assert.True(last < first, $"held-out objective went from {first} to {last}");
    }

    [Fact]
    public void The_student_optimiser_never_sees_the_fusion_network()
    {
        using var scope = NewDisposeScope();
        using var loss = LossWithFixtureWeights();
        Assert.Empty(loss.Parameters());
        Assert.Equal(4, loss.FusionParameters().Count);
        Assert.True(loss.NeedsHeldOutData);
    }

    [Fact]
    public void The_fusion_ratio_gets_no_gradient_from_the_training_loss()
    {
        using var scope = NewDisposeScope();
        using var loss = LossWithFixtureWeights();
        loss.Compute(LossGoldens.Case("basic", ScalarType.Float64).Context()).Total.backward();
        Assert.All(loss.FusionParameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void A_non_linear_main_head_is_rejected_with_an_explanation()
    {
        using var scope = NewDisposeScope();
        using var loss = LossWithFixtureWeights();
        var linear = BuildMeta();
        var meta = BuildMeta(x => nn.functional.relu(linear.Head(x)));
        loss.Compute(meta.Train);
        var ex = Assert.Throws<InvalidOperationException>(() => loss.LearnFromHeldOut(meta.HeldOut));
        Assert.Contains("linear", ex.Message);
    }

    [Fact]
    public void Held_out_batches_without_penultimate_activations_explain_what_is_missing()
    {
        using var scope = NewDisposeScope();
        using var loss = LossWithFixtureWeights();
        var c = LossGoldens.Case("basic", ScalarType.Float64);
        var ex = Assert.Throws<InvalidOperationException>(() => loss.LearnFromHeldOut(c.Context()));
        Assert.Contains("Penultimate", ex.Message);
    }

    [Fact]
    public void Without_a_cached_training_batch_the_held_out_batch_is_split_between_the_two_levels()
    {
        using var scope = NewDisposeScope();
        using var loss = LossWithFixtureWeights();
        var meta = BuildMeta();
        var outer = loss.MetaObjective(meta.HeldOut);
        Assert.NotNull(outer);
        Assert.True(double.IsFinite(LossGoldens.Item(outer!)));
    }

    [Fact]
    public void A_batch_with_a_different_number_of_classes_is_rejected()
    {
        using var scope = NewDisposeScope();
        using var loss = LossWithFixtureWeights();
        var s = zeros(2, 3, dtype: ScalarType.Float64);
        var ctx = new LossContext { StudentLogits = s, Teacher = zeros(2, 3, dtype: ScalarType.Float64), Labels = tensor(new long[] { 0, 1 }) };
        Assert.Throws<ArgumentException>(() => loss.Compute(ctx));
    }
}
