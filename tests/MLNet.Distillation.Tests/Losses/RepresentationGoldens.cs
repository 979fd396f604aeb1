using System.Text.Json;
using MLNet.Distillation.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Losses;

/// <summary>
/// Reads Fixtures/representation_goldens.json (written by tools/make_representation_goldens.py from independent PyTorch
/// formulas) and turns its entries into bound representation losses with the reference's parameters, and their contexts.
/// </summary>
internal static class RepresentationGoldens
{
    public const string Column = "TeacherEmbedding";

    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "representation_goldens.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    public static IEnumerable<JsonElement> Entries => Root.GetProperty("goldens").EnumerateArray();

    public static JsonElement Entry(string id) => Entries.First(e => e.GetProperty("id").GetString() == id);

    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var e in Entries) data.Add(e.GetProperty("id").GetString()!);
        return data;
    }

    private static HintDistance ParseDistance(string name) => name switch
    {
        "mse" => HintDistance.Mse,
        "cosine" => HintDistance.Cosine,
        "nd" => HintDistance.Nd,
        "mialpha" => HintDistance.MiAlpha,
        _ => throw new ArgumentException($"Unknown hint distance '{name}' in the goldens."),
    };

    private static HintProjection ParseProjection(string name) => name switch
    {
        "none" => HintProjection.None,
        "linear" => HintProjection.Linear,
        "mlp" => HintProjection.Mlp,
        _ => throw new ArgumentException($"Unknown hint projection '{name}' in the goldens."),
    };

    /// <summary>The loss an entry describes, built through the public factories.</summary>
    public static DistillationLoss CreateLoss(string loss, JsonElement p) => loss switch
    {
        "hint" => DistillationLoss.Hint(Column, -1, ParseDistance(p.GetProperty("distance").GetString()!),
            ParseProjection(p.GetProperty("projection").GetString()!), p.D("weight"), p.TryGetProperty("alpha", out var a) ? a.GetDouble() : 0.5),
        "rkd_distance" => DistillationLoss.RkdDistance(),
        "rkd_angle" => DistillationLoss.RkdAngle(),
        "relation_graph" => DistillationLoss.RelationGraph(temperature: p.D("temperature")),
        "embedding_cosine" => new EmbeddingCosineLoss(),
        "embedding_contrastive" => DistillationLoss.EmbeddingContrastive(p.D("temperature"), p.GetProperty("supervised").GetBoolean()),
        "embedding_triplet" => DistillationLoss.EmbeddingTriplet(p.D("margin")),
        _ => throw new ArgumentException($"No factory mapping for golden loss '{loss}'."),
    };

    /// <summary>A case's inputs: the student representation (requires grad), the teacher's and the labels.</summary>
    public sealed record CaseInputs(Tensor Student, Tensor Teacher, Tensor Labels)
    {
        /// <summary>
        /// The student tensor serves as the only student layer and as the student outputs; the teacher as the teacher's
        /// outputs and as the extra column <see cref="Column"/>.
        /// </summary>
        public LossContext Context(DistillationTask task, bool training = true) => new()
        {
            Task = task, StudentLogits = Student, StudentLayers = [Student], Teacher = Teacher,
            TeacherExtras = new Dictionary<string, Tensor> { [Column] = Teacher }, Labels = Labels, Training = training,
        };
    }

    public static CaseInputs Case(string name, ScalarType dtype)
    {
        var c = Root.GetProperty("cases").GetProperty(name);
        return new CaseInputs(
            LossGoldens.Matrix(c.GetProperty("student"), dtype, requiresGrad: true),
            LossGoldens.Matrix(c.GetProperty("teacher"), dtype),
            LossGoldens.Labels(c.GetProperty("labels")));
    }

    /// <summary>A JSON array of numbers or of rows as a tensor.</summary>
    public static Tensor Array(JsonElement e, ScalarType dtype)
        => e[0].ValueKind == JsonValueKind.Array ? LossGoldens.Matrix(e, dtype) : LossGoldens.Vector(e, dtype);

    /// <summary>The result of one entry: named terms, total, d total / d student and d total / d the loss's own parameters.</summary>
    public sealed record Result(IReadOnlyList<KeyValuePair<string, double>> Terms, double Total, double[] GradStudent, IReadOnlyList<double[]> GradOwn);

    /// <summary>Builds, binds (with the reference's parameters), warms up and computes an entry in the given dtype.</summary>
    public static Result Run(JsonElement golden, ScalarType dtype)
    {
        var p = golden.GetProperty("params");
        var inputs = Case(golden.GetProperty("case").GetString()!, dtype);
        using var loss = CreateLoss(golden.GetProperty("loss").GetString()!, p);
        var task = loss.Tasks.Contains(DistillationTask.MulticlassClassification) ? DistillationTask.MulticlassClassification : DistillationTask.Embedding;
        var own = System.Array.Empty<TorchSharp.Modules.Parameter>();
        if (loss is HintLoss hint)
        {
            int h = (int)inputs.Student.shape[1], d = (int)inputs.Teacher.shape[1];
            hint.Bind(new LossBinding(task, 3, [h], h, new Dictionary<string, int> { [Column] = d }, 1));
            hint.ConvertParameters(dtype);
            own = hint.Parameters().ToArray();
            var values = golden.GetProperty("ownParameters").EnumerateArray().ToArray();
            Assert.Equal(values.Length, own.Length);
            using (no_grad())
                for (int i = 0; i < own.Length; i++) own[i].copy_(Array(values[i], dtype));
            if (p.TryGetProperty("warmup", out var warmup))
                foreach (var w in warmup.EnumerateArray())
                    hint.Compute(Case(w.GetString()!, dtype).Context(task));
        }
        bool training = !p.TryGetProperty("training", out var tr) || tr.GetBoolean();
        var terms = loss.Compute(inputs.Context(task, training));
        var total = terms.Total;
        foreach (var q in own) q.grad?.zero_();
        total.backward();
        var values2 = terms.Terms.Select(t => new KeyValuePair<string, double>(t.Key, LossGoldens.Item(t.Value))).ToList();
        var grad = inputs.Student.grad is null ? new double[inputs.Student.numel()] : LossGoldens.Flat(inputs.Student.grad);
        var gradOwn = own.Select(q => q.grad is null ? new double[q.numel()] : LossGoldens.Flat(q.grad)).ToList();
        return new Result(values2, LossGoldens.Item(total), grad, gradOwn);
    }
}
