using System.Text.Json;
using MLNet.Distillation.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Losses;

/// <summary>
/// Reads Fixtures/task_loss_goldens.json (written by tools/make_task_loss_goldens.py from independent PyTorch formulas) and
/// turns its entries into binary, regression and ranking losses, contexts and expected numbers.
/// </summary>
internal static class TaskLossGoldens
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "task_loss_goldens.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    public static IEnumerable<JsonElement> Entries => Root.GetProperty("goldens").EnumerateArray();

    public static JsonElement Entry(string id) => Entries.First(e => e.GetProperty("id").GetString() == id);

    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var e in Entries) data.Add(e.GetProperty("id").GetString()!);
        return data;
    }

    private static RegressionDistance ParseDistance(JsonElement p) => p.GetProperty("distance").GetString() switch
    {
        "mse" => RegressionDistance.Mse,
        "huber" => RegressionDistance.Huber,
        "l1" => RegressionDistance.L1,
        var d => throw new ArgumentException($"Unknown distance '{d}' in the goldens."),
    };

    /// <summary>The loss an entry describes, built through the public factories.</summary>
    public static DistillationLoss CreateLoss(string loss, JsonElement p) => loss switch
    {
        "binarykd" => DistillationLoss.BinaryKd(p.D("temperature"), p.D("alpha")),
        "regkd" => DistillationLoss.RegressionKd(p.D("alpha"), ParseDistance(p), p.D("huberDelta")),
        "bounded" => DistillationLoss.TeacherBounded(p.D("margin"), p.D("weight"), ParseDistance(p), p.D("huberDelta")),
        "bernoulli" => DistillationLoss.BernoulliKl(p.D("alpha")),
        "tt" => p.TryGetProperty("mainWeight", out _)
            ? DistillationLoss.TolerantTough(p.D("mainWeight"), p.D("toughWeight"), p.D("tolerantWeight"), p.D("toughBeyond"),
                p.D("toughWithin"), p.D("tolerantBeyond"), p.D("tolerantWithin"))
            : DistillationLoss.TolerantTough(),
        "listnet" => DistillationLoss.ListNet(),
        "listwisekl" => DistillationLoss.ListwiseKl(p.D("temperature")),
        "marginmse" => DistillationLoss.MarginMse(),
        "ranknet" => DistillationLoss.RankNet(),
        "rankingkd" => DistillationLoss.RankingKd(p.D("temperature"), p.D("alpha")),
        _ => throw new ArgumentException($"No factory mapping for golden loss '{loss}'."),
    };

    /// <summary>The inputs of a named case; the student outputs require grad.</summary>
    public sealed record CaseInputs(DistillationTask Task, Tensor Student, Tensor Teacher, Tensor Targets, Tensor Labels,
        Tensor? GroupIds, IReadOnlyList<Tensor> Teachers)
    {
        public LossContext Context(bool withTeacher = true) => new()
        {
            Task = Task, StudentLogits = Student, Teacher = withTeacher ? Teacher : null, Targets = Targets, Labels = Labels,
            GroupIds = GroupIds, Teachers = withTeacher ? Teachers : [],
            TeacherWeights = withTeacher ? Teachers.Select(_ => 1.0 / Teachers.Count).ToArray() : [],
        };
    }

    public static CaseInputs Case(string name, ScalarType dtype)
    {
        var c = Root.GetProperty("cases").GetProperty(name);
        var task = c.GetProperty("task").GetString() switch
        {
            "binary" => DistillationTask.BinaryClassification,
            "regression" => DistillationTask.Regression,
            "ranking" => DistillationTask.Ranking,
            var t => throw new ArgumentException($"Unknown task '{t}' in the goldens."),
        };
        var teachers = c.TryGetProperty("teachers", out var ts)
            ? ts.EnumerateArray().Select(t => LossGoldens.Matrix(t, dtype)).ToArray()
            : [];
        return new CaseInputs(task,
            LossGoldens.Matrix(c.GetProperty("student"), dtype, requiresGrad: true),
            LossGoldens.Matrix(c.GetProperty("teacher"), dtype),
            LossGoldens.Matrix(c.GetProperty("targets"), dtype),
            LossGoldens.Labels(c.GetProperty("labels")),
            c.TryGetProperty("groupIds", out var g) ? LossGoldens.Labels(g) : null,
            teachers);
    }
}
