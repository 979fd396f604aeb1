using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Losses;

/// <summary>
/// Every binary, regression and ranking loss against the independent PyTorch reference (tools/make_task_loss_goldens.py):
/// named terms, total and the gradient with respect to the student outputs, on labelled, partly and wholly unlabelled
/// batches, outputs of ±1e3, a batch of one, several outputs, two teachers and ranking groups of every kind. Float64 runs
/// must match to 1e-5 relative; float32 runs (what training uses) must be finite and close.
/// </summary>
public class TaskLossGoldenTests
{
    public static TheoryData<string> AllGoldens => TaskLossGoldens.Ids();

    private sealed record Result(IReadOnlyList<KeyValuePair<string, double>> Terms, double Total, double[] GradStudent);

    private static Result Run(JsonElement golden, ScalarType dtype)
    {
        var inputs = TaskLossGoldens.Case(golden.GetProperty("case").GetString()!, dtype);
        using var loss = TaskLossGoldens.CreateLoss(golden.GetProperty("loss").GetString()!, golden.GetProperty("params"));
        var terms = loss.Compute(inputs.Context(golden.GetProperty("teacher").GetBoolean()));
        var total = terms.Total;
        total.backward();
        var values = terms.Terms.Select(t => new KeyValuePair<string, double>(t.Key, LossGoldens.Item(t.Value))).ToList();
        var grad = inputs.Student.grad is null ? new double[inputs.Student.numel()] : LossGoldens.Flat(inputs.Student.grad);
        return new Result(values, LossGoldens.Item(total), grad);
    }

    [Theory]
    [MemberData(nameof(AllGoldens))]
    public void Terms_and_total_match_the_pytorch_reference(string id)
    {
        using var scope = NewDisposeScope();
        var golden = TaskLossGoldens.Entry(id);
        var result = Run(golden, ScalarType.Float64);
        LossGoldens.AssertTermsAndTotal(golden, result.Terms, result.Total, id);
    }

    [Theory]
    [MemberData(nameof(AllGoldens))]
    public void Gradient_with_respect_to_student_outputs_matches_the_pytorch_reference(string id)
    {
        using var scope = NewDisposeScope();
        var golden = TaskLossGoldens.Entry(id);
        var result = Run(golden, ScalarType.Float64);
        LossGoldens.Close(LossGoldens.FlatJson(golden.GetProperty("gradStudent")), result.GradStudent, 1e-5, 1e-9, $"{id}: d total / d student");
    }

    [Theory]
    [MemberData(nameof(AllGoldens))]
    public void Float32_inputs_give_finite_values_and_gradients_close_to_the_reference(string id)
    {
        using var scope = NewDisposeScope();
        var golden = TaskLossGoldens.Entry(id);
        var result = Run(golden, ScalarType.Float32);
        Assert.True(double.IsFinite(result.Total), $"{id}: total is {result.Total}");
        Assert.All(result.GradStudent, g => Assert.True(double.IsFinite(g), $"{id}: a student gradient is {g}"));
        double total = golden.GetProperty("total").GetDouble();
        LossGoldens.Close(total, result.Total, 1e-3, 1e-5 * (1 + Math.Abs(total)), $"{id}: float32 total");
        var grad = LossGoldens.FlatJson(golden.GetProperty("gradStudent"));
        double scale = grad.Select(Math.Abs).DefaultIfEmpty(0).Max();
        LossGoldens.Close(grad, result.GradStudent, 1e-3, 1e-4 * (1 + scale), $"{id}: float32 d total / d student");
    }

    [Fact]
    public void The_tolerant_tough_cases_cover_every_region_of_both_teachers()
    {
        foreach (var region in TaskLossGoldens.Root.GetProperty("tolerantToughRegions").EnumerateObject())
        foreach (var count in region.Value.EnumerateObject())
            Assert.True(count.Value.GetInt32() > 0, $"{region.Name}: no element in region {count.Name}");
    }
}
