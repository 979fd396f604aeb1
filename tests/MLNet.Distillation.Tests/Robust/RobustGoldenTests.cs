using System.Text.Json;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Training;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Robust;

/// <summary>
/// Multi-teacher adversarial distillation and the attack against the independent PyTorch reference
/// (tools/make_robust_goldens.py): the loss's terms, their gradient and the entropy/loss balance over three steps, and
/// FGSM/PGD rows on a fixed linear model in the standardised and the raw space.
/// </summary>
public class RobustGoldenTests
{
    public static TheoryData<int> LossCases => new() { 0, 1 };
    public static TheoryData<int> AttackCases => new() { 0, 1, 2 };

    private static double[] Flat(JsonElement rows) => rows.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray();

    private static Tensor Matrix(JsonElement rows, ScalarType dtype)
    {
        int n = rows.GetArrayLength(), k = rows[0].GetArrayLength();
        return tensor(Flat(rows), [n, k]).to_type(dtype);
    }

    private static void Close(double expected, double actual, double rel, string what)
        => Assert.True(Math.Abs(expected - actual) <= rel * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected}, got {actual}");

    [Theory]
    [MemberData(nameof(LossCases))]
    public void Loss_terms_gradient_and_balance_match_the_pytorch_reference(int index)
    {
        var golden = RobustDigits.Goldens.GetProperty("loss")[index];
        using var loss = DistillationLoss.RobustMultiTeacher(golden.GetProperty("clean_temperature").GetDouble(), golden.GetProperty("robust_temperature").GetDouble(),
            golden.GetProperty("rate").GetDouble(), golden.GetProperty("balance_weights").GetBoolean());
        var kind = Enum.Parse<TeacherOutputKind>(golden.GetProperty("teacher_kind").GetString()!);
        int adversarial = golden.GetProperty("adversarial_rows").GetInt32();
        int step = 0;
        foreach (var s in golden.GetProperty("steps").EnumerateArray())
        {
            using var scope = NewDisposeScope();
            var student = Matrix(s.GetProperty("student"), ScalarType.Float64).requires_grad_(true);
            var terms = loss.Compute(new LossContext
            {
                StudentLogits = student, Teacher = Matrix(s.GetProperty("teacher"), ScalarType.Float64), TeacherKind = kind,
                Labels = full(student.shape[0], -1L, ScalarType.Int64), TransferRows = adversarial, Step = step++, Training = true,
            });
            var values = terms.ToValues();
            Assert.Equal(["clean", "adversarial"], values.Keys);
            Close(s.GetProperty("clean").GetDouble(), values["clean"], 1e-6, $"step {step} clean");
            Close(s.GetProperty("adversarial").GetDouble(), values["adversarial"], 1e-6, $"step {step} adversarial");
            terms.Total.backward();
            var gradient = student.grad!.contiguous().data<double>().ToArray();
            var expected = Flat(s.GetProperty("gradient"));
            for (int i = 0; i < expected.Length; i++) Close(expected[i], gradient[i], 1e-6, $"step {step} gradient[{i}]");
            Close(s.GetProperty("clean_weight").GetDouble(), loss.CleanWeight, 1e-9, $"step {step} clean weight");
            Close(s.GetProperty("robust_weight").GetDouble(), loss.RobustWeight, 1e-9, $"step {step} robust weight");
            Close(s.GetProperty("clean_entropy").GetDouble(), loss.CleanEntropy, 1e-9, $"step {step} clean entropy");
            Close(s.GetProperty("robust_entropy").GetDouble(), loss.RobustEntropy, 1e-9, $"step {step} robust entropy");
            Close(s.GetProperty("clean_temperature_after").GetDouble(), loss.CleanTemperature, 1e-9, $"step {step} clean temperature");
            Close(s.GetProperty("robust_temperature_after").GetDouble(), loss.RobustTemperature, 1e-9, $"step {step} robust temperature");
        }
    }

    [Theory]
    [MemberData(nameof(AttackCases))]
    public void Adversarial_rows_match_the_pytorch_reference(int index)
    {
        using var scope = NewDisposeScope();
        var golden = RobustDigits.Goldens.GetProperty("attack")[index];
        var attack = new AdversarialAttack
        {
            Method = Enum.Parse<AdversarialMethod>(golden.GetProperty("method").GetString()!),
            Space = Enum.Parse<PerturbationSpace>(golden.GetProperty("space").GetString()!),
            Epsilon = golden.GetProperty("epsilon").GetDouble(), Steps = golden.GetProperty("steps").GetInt32(),
            StepSize = golden.GetProperty("step_size").GetDouble(), RandomStart = false,
        };
        var train = Flat(golden.GetProperty("train")).Select(v => (float)v).ToArray();
        int f = golden.GetProperty("train")[0].GetArrayLength();
        var (std, min, max) = AdversarialPerturber.Statistics(train.Length / f, f, r => train.AsSpan(r * f, f));
        var perturber = new AdversarialPerturber(attack, std, min, max, seed: 0);
        var w = Matrix(golden.GetProperty("weights"), ScalarType.Float32);
        var b = tensor(golden.GetProperty("bias").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray());
        var x = Matrix(golden.GetProperty("x"), ScalarType.Float32);
        var y = tensor(golden.GetProperty("targets").EnumerateArray().Select(v => (long)v.GetInt32()).ToArray());
        var adversarial = perturber.Perturb(input => input.matmul(w) + b, x, y).contiguous().data<float>().ToArray();
        var expected = Flat(golden.GetProperty("adversarial"));
        for (int i = 0; i < expected.Length; i++) Close(expected[i], adversarial[i], 1e-5, $"{golden.GetProperty("name").GetString()} value {i}");
    }
}
