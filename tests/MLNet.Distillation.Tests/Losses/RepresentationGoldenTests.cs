using System.Text.Json;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Losses;

/// <summary>
/// Every representation loss (hint MSE/cosine/ND/MI-α through none, linear and MLP projections; RKD distance and angle;
/// the relationship graph; the embedding cosine, contrastive and triplet losses) against the independent PyTorch
/// reference (tools/make_representation_goldens.py): term, total, the gradient with respect to the student representation
/// and with respect to the loss's own parameters, on labelled, partly and wholly unlabelled batches, batches of one, two
/// and three rows, large values, equal rows and ND class means carried over from an earlier batch. Float64 must match to
/// 1e-5 relative; float32 (what training uses) must be finite and close.
/// </summary>
public class RepresentationGoldenTests
{
    public static TheoryData<string> AllGoldens => RepresentationGoldens.Ids();

    [Theory]
    [MemberData(nameof(AllGoldens))]
    public void Term_and_total_match_the_pytorch_reference(string id)
    {
        using var scope = NewDisposeScope();
        var golden = RepresentationGoldens.Entry(id);
        var result = RepresentationGoldens.Run(golden, ScalarType.Float64);
        LossGoldens.AssertTermsAndTotal(golden, result.Terms, result.Total, id);
    }

    [Theory]
    [MemberData(nameof(AllGoldens))]
    public void Gradients_match_the_pytorch_reference(string id)
    {
        using var scope = NewDisposeScope();
        var golden = RepresentationGoldens.Entry(id);
        var result = RepresentationGoldens.Run(golden, ScalarType.Float64);
        LossGoldens.Close(LossGoldens.FlatJson(golden.GetProperty("gradStudent")), result.GradStudent, 1e-5, 1e-9, $"{id}: d total / d student");
        var expectedOwn = golden.GetProperty("gradOwnParameters").EnumerateArray().ToArray();
        Assert.Equal(expectedOwn.Length, result.GradOwn.Count);
        for (int i = 0; i < expectedOwn.Length; i++)
            LossGoldens.Close(LossGoldens.FlatJson(expectedOwn[i]), result.GradOwn[i], 1e-5, 1e-9, $"{id}: d total / d own parameter {i}");
    }

    [Theory]
    [MemberData(nameof(AllGoldens))]
    public void Float32_inputs_give_finite_values_and_gradients_close_to_the_reference(string id)
    {
        using var scope = NewDisposeScope();
        var golden = RepresentationGoldens.Entry(id);
        var result = RepresentationGoldens.Run(golden, ScalarType.Float32);
        Assert.True(double.IsFinite(result.Total), $"{id}: total is {result.Total}");
        Assert.All(result.GradStudent, g => Assert.True(double.IsFinite(g), $"{id}: a student gradient is {g}"));
        double total = golden.GetProperty("total").GetDouble();
        LossGoldens.Close(total, result.Total, 1e-3, 1e-4 * (1 + Math.Abs(total)), $"{id}: float32 total");
        var grad = LossGoldens.FlatJson(golden.GetProperty("gradStudent"));
        double scale = grad.Select(Math.Abs).DefaultIfEmpty(0).Max();
        LossGoldens.Close(grad, result.GradStudent, 1e-3, 1e-3 * (1 + scale), $"{id}: float32 d total / d student");
    }

    [Fact]
    public void The_goldens_cover_every_representation_loss_and_hint_distance()
    {
        var entries = RepresentationGoldens.Entries.ToList();
        Assert.Equal(
            new[] { "embedding_contrastive", "embedding_cosine", "embedding_triplet", "hint", "relation_graph", "rkd_angle", "rkd_distance" },
            entries.Select(e => e.GetProperty("loss").GetString()!).Distinct().Order());
        Assert.Equal(new[] { "cosine", "mialpha", "mse", "nd" },
            entries.Where(e => e.GetProperty("loss").GetString() == "hint").Select(e => e.GetProperty("params").GetProperty("distance").GetString()!).Distinct().Order());
        Assert.Equal(new[] { "linear", "mlp", "none" },
            entries.Where(e => e.GetProperty("loss").GetString() == "hint").Select(e => e.GetProperty("params").GetProperty("projection").GetString()!).Distinct().Order());
        Assert.Contains(entries, e => e.GetProperty("total").GetDouble() != 0 && e.GetProperty("loss").GetString() == "embedding_triplet");
    }
}
