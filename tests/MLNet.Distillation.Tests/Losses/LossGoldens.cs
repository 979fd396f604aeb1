using System.Text.Json;
using MLNet.Distillation.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Losses;

/// <summary>
/// Reads Fixtures/loss_goldens.json (written by tools/make_loss_goldens.py from an independent PyTorch implementation) and
/// turns its entries into losses, contexts and expected numbers.
/// </summary>
internal static class LossGoldens
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "loss_goldens.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    public static IEnumerable<JsonElement> Entries => Root.GetProperty("goldens").EnumerateArray();

    public static JsonElement Entry(string id) => Entries.First(e => e.GetProperty("id").GetString() == id);

    public static TheoryData<string> Ids(Func<JsonElement, bool>? where = null)
    {
        var data = new TheoryData<string>();
        foreach (var e in Entries)
            if (where is null || where(e)) data.Add(e.GetProperty("id").GetString()!);
        return data;
    }

    public static double D(this JsonElement p, string name) => p.GetProperty(name).GetDouble();

    /// <summary>The loss an entry describes, built through the public factories.</summary>
    public static DistillationLoss CreateLoss(string loss, JsonElement p) => loss switch
    {
        "hinton" => DistillationLoss.Hinton(p.D("temperature"), p.D("alpha")),
        "ce" => DistillationLoss.CrossEntropy(p.D("labelSmoothing")),
        "mse" => DistillationLoss.LogitMse(p.GetProperty("centered").GetBoolean()),
        "rkl" => DistillationLoss.ReverseKl(p.D("temperature")),
        "jsd" => p.D("beta") == 0.5 ? DistillationLoss.JensenShannon(p.D("temperature")) : DistillationLoss.GeneralizedJensenShannon(p.D("beta"), p.D("temperature")),
        "skl" => DistillationLoss.SkewKl(p.D("skew"), p.D("temperature")),
        "srkl" => DistillationLoss.SkewReverseKl(p.D("skew"), p.D("temperature")),
        "tvd" => DistillationLoss.TotalVariation(p.D("temperature")),
        "dkd" => DistillationLoss.Dkd(p.D("alpha"), p.D("beta"), p.D("temperature"), p.GetProperty("warmupEpochs").GetInt32(), p.D("ceWeight")),
        "nkd" => DistillationLoss.Nkd(p.D("temperature"), p.D("gamma"), p.D("ceWeight")),
        "uskd" => DistillationLoss.Uskd(p.D("alpha"), p.D("beta"), p.D("mu"), p.D("ceWeight")),
        "sinkhorn" => DistillationLoss.Sinkhorn(p.D("temperature"), p.D("epsilon"), p.GetProperty("iterations").GetInt32()),
        "zloss" => p.GetProperty("target").GetString() == "labels"
            ? DistillationLoss.ZLoss(p.D("a"), p.D("b"))
            : DistillationLoss.ZLossDistillation(p.D("a"), p.D("b"), p.D("temperature")),
        "ldr" => DistillationLoss.LdrKl(p.D("lam"), p.D("margin"), p.GetProperty("normalize").GetBoolean()),
        "aldr" => DistillationLoss.AldrKl(p.D("lam"), p.D("alpha"), p.D("margin"), p.GetProperty("normalize").GetBoolean()),
        "sce" => p.GetProperty("target").GetString() == "labels"
            ? DistillationLoss.SymmetricCrossEntropy(p.D("alpha"), p.D("beta"), p.D("logClamp"))
            : DistillationLoss.SymmetricCrossEntropyToTeacher(p.D("alpha"), p.D("beta"), p.D("logClamp"), p.D("temperature")),
        "compsum" => p.D("tau") switch
        {
            2.0 => DistillationLoss.Mae(),
            1.7 => DistillationLoss.GeneralizedCrossEntropy(0.7),
            var tau => DistillationLoss.CompSum(tau),
        },
        "dco" => DistillationLoss.ConfidenceLimiting(p.GetProperty("n").GetInt32()),
        "dualhead" => DistillationLoss.DualHead(p.D("temperature"), p.D("auxTemperature"), p.D("ceWeight"), p.D("kdWeight"), p.D("auxWeight")),
        _ => throw new ArgumentException($"No factory mapping for golden loss '{loss}'."),
    };

    public static Tensor Matrix(JsonElement e, ScalarType dtype, bool requiresGrad = false)
    {
        var rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        var flat = rows.SelectMany(r => r).ToArray();
        var t = tensor(flat, [rows.Length, rows[0].Length], dtype: ScalarType.Float64).to_type(dtype);
        return requiresGrad ? t.requires_grad_(true) : t;
    }

    public static Tensor Vector(JsonElement e, ScalarType dtype)
        => tensor(e.EnumerateArray().Select(v => v.GetDouble()).ToArray(), dtype: ScalarType.Float64).to_type(dtype);

    public static Tensor Labels(JsonElement e) => tensor(e.EnumerateArray().Select(v => v.GetInt64()).ToArray(), dtype: ScalarType.Int64);

    /// <summary>The inputs of a named case: student logits and auxiliary-head logits require grad.</summary>
    public sealed record CaseInputs(Tensor Student, Tensor Teacher, TeacherOutputKind Kind, Tensor Labels, Tensor Aux)
    {
        public LossContext Context(int epoch = 0, int totalEpochs = 100) => new()
        {
            StudentLogits = Student, Teacher = Teacher, TeacherKind = Kind, Labels = Labels,
            Heads = new Dictionary<string, Tensor> { [UskdLoss.WeakHeadName] = Aux, [DualHeadLoss.AuxHeadName] = Aux },
            Epoch = epoch, TotalEpochs = totalEpochs,
        };
    }

    public static CaseInputs Case(string name, ScalarType dtype)
    {
        var c = Root.GetProperty("cases").GetProperty(name);
        return new CaseInputs(
            Matrix(c.GetProperty("student"), dtype, requiresGrad: true),
            Matrix(c.GetProperty("teacher"), dtype),
            c.GetProperty("teacherKind").GetString() == "logits" ? TeacherOutputKind.Logits : TeacherOutputKind.Probabilities,
            Labels(c.GetProperty("labels")),
            Matrix(c.GetProperty("aux"), dtype, requiresGrad: true));
    }

    public static double[] Flat(Tensor t)
    {
        using var d = t.detach().to_type(ScalarType.Float64).contiguous();
        return d.data<double>().ToArray();
    }

    public static double[] FlatJson(JsonElement e) => e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0 && e[0].ValueKind == JsonValueKind.Array
        ? e.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray()
        : e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public static double Item(Tensor scalar)
    {
        using var d = scalar.detach().to_type(ScalarType.Float64);
        return d.item<double>();
    }

    /// <summary>Asserts |actual − expected| ≤ rtol·|expected| + atol element by element, naming the first element that differs.</summary>
    public static void Close(double[] expected, double[] actual, double rtol, double atol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = rtol * Math.Abs(expected[i]) + atol;
            if (!(Math.Abs(actual[i] - expected[i]) <= tol))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tol:G3}).");
        }
    }

    public static void Close(double expected, double actual, double rtol, double atol, string what) => Close([expected], [actual], rtol, atol, what);

    /// <summary>The terms (names in order, values) and the total of a loss match a golden entry's "terms" and "total" to 1e-5.</summary>
    public static void AssertTermsAndTotal(System.Text.Json.JsonElement golden, IReadOnlyList<KeyValuePair<string, double>> terms, double total, string id)
    {
        var expected = golden.GetProperty("terms").EnumerateObject().ToList();
        Assert.Equal(expected.Select(t => t.Name), terms.Select(t => t.Key));
        foreach (var (term, actual) in expected.Zip(terms))
            Close(term.Value.GetDouble(), actual.Value, 1e-5, 1e-9, $"{id}: term {term.Name}");
        Close(golden.GetProperty("total").GetDouble(), total, 1e-5, 1e-9, $"{id}: total");
    }
}
