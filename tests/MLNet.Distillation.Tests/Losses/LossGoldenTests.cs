using System.Text.Json;
using MLNet.Distillation.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Losses;

/// <summary>
/// Every built-in loss against the independent PyTorch reference (tools/make_loss_goldens.py): named terms, total and the
/// gradient with respect to the student logits (and the extra head, where the method has one), on basic inputs, missing
/// labels, an all-unlabelled batch, one-hot and probability teachers, logits of ±1e3, temperatures 0.5 and 20, and a
/// batch of one. Float64 runs must match to 1e-5 relative; float32 runs (what training uses) must be finite and close.
/// </summary>
public class LossGoldenTests
{
    public static TheoryData<string> AllGoldens => LossGoldens.Ids();

    public static TheoryData<string> GoldensWithExtraHead =>
        LossGoldens.Ids(e => e.GetProperty("loss").GetString() is "uskd" or "dualhead");

    private sealed record Result(IReadOnlyList<KeyValuePair<string, double>> Terms, double Total, double[] GradStudent, double[] GradAux);

    private static Result Run(JsonElement golden, ScalarType dtype)
    {
        var p = golden.GetProperty("params");
        var inputs = LossGoldens.Case(golden.GetProperty("case").GetString()!, dtype);
        int epoch = p.TryGetProperty("epoch", out var e) ? e.GetInt32() : 0;
        using var loss = LossGoldens.CreateLoss(golden.GetProperty("loss").GetString()!, p);
        var terms = loss.Compute(inputs.Context(epoch));
        var total = terms.Total;
        total.backward();
        var values = terms.Terms.Select(t => new KeyValuePair<string, double>(t.Key, LossGoldens.Item(t.Value))).ToList();
        var gradAux = inputs.Aux.grad is null ? new double[inputs.Aux.numel()] : LossGoldens.Flat(inputs.Aux.grad);
        return new Result(values, LossGoldens.Item(total), LossGoldens.Flat(inputs.Student.grad!), gradAux);
    }

    [Theory]
    [MemberData(nameof(AllGoldens))]
    public void Terms_and_total_match_the_pytorch_reference(string id)
    {
        using var scope = NewDisposeScope();
        var golden = LossGoldens.Entry(id);
        var result = Run(golden, ScalarType.Float64);
        LossGoldens.AssertTermsAndTotal(golden, result.Terms, result.Total, id);
    }

    [Theory]
    [MemberData(nameof(AllGoldens))]
    public void Gradient_with_respect_to_student_logits_matches_the_pytorch_reference(string id)
    {
        using var scope = NewDisposeScope();
        var golden = LossGoldens.Entry(id);
        var result = Run(golden, ScalarType.Float64);
        LossGoldens.Close(LossGoldens.FlatJson(golden.GetProperty("gradStudent")), result.GradStudent, 1e-5, 1e-9, $"{id}: d total / d student");
    }

    [Theory]
    [MemberData(nameof(GoldensWithExtraHead))]
    public void Gradient_with_respect_to_the_extra_head_matches_the_pytorch_reference(string id)
    {
        using var scope = NewDisposeScope();
        var golden = LossGoldens.Entry(id);
        var result = Run(golden, ScalarType.Float64);
        LossGoldens.Close(LossGoldens.FlatJson(golden.GetProperty("gradAux")), result.GradAux, 1e-5, 1e-9, $"{id}: d total / d extra head");
    }

    [Theory]
    [MemberData(nameof(AllGoldens))]
    public void Float32_inputs_give_finite_values_and_gradients_close_to_the_reference(string id)
    {
        using var scope = NewDisposeScope();
        var golden = LossGoldens.Entry(id);
        var result = Run(golden, ScalarType.Float32);
        Assert.True(double.IsFinite(result.Total), $"{id}: total is {result.Total}");
        Assert.All(result.GradStudent, g => Assert.True(double.IsFinite(g), $"{id}: a student gradient is {g}"));
        Assert.All(result.GradAux, g => Assert.True(double.IsFinite(g), $"{id}: an extra-head gradient is {g}"));
        double total = golden.GetProperty("total").GetDouble();
        LossGoldens.Close(total, result.Total, 1e-3, 1e-5 * (1 + Math.Abs(total)), $"{id}: float32 total");
        var grad = LossGoldens.FlatJson(golden.GetProperty("gradStudent"));
        double scale = grad.Select(Math.Abs).DefaultIfEmpty(0).Max();
        LossGoldens.Close(grad, result.GradStudent, 1e-3, 1e-4 * (1 + scale), $"{id}: float32 d total / d student");
    }
}
