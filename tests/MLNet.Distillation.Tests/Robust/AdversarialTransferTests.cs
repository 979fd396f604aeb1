using Microsoft.ML;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Robust;

/// <summary>
/// The adversarial transfer set and the robust two-teacher mode on the digits fixtures: what the loop hands the loss, who
/// labels the adversarial rows, that the attack hurts, the robustness evaluation, and refused settings.
/// </summary>
public class AdversarialTransferTests
{
    /// <summary>Records the first training batch the loop hands it, then defers to the two-teacher loss.</summary>
    private sealed class RecordingLoss : DistillationLoss
    {
        public RobustMultiTeacherLoss Inner { get; } = RobustMultiTeacher();
        public int Rows, TransferRows, Features;
        public float[] BatchFeatures = [], BatchTeacher = [];
        public override string Name => "recording " + Inner.Name;
        public override void Bind(LossBinding binding) => Inner.Bind(binding);
        public override LossTerms Compute(LossContext context)
        {
            if (context.Training && Rows == 0)
            {
                Rows = (int)context.StudentLogits.shape[0];
                TransferRows = context.TransferRows;
                Features = (int)context.Features!.shape[1];
                BatchFeatures = context.Features.detach().contiguous().data<float>().ToArray();
                BatchTeacher = context.Teacher!.detach().contiguous().data<float>().ToArray();
            }
            return Inner.Compute(context);
        }
    }

    private static AdversarialAttack Attack => new() { Method = AdversarialMethod.Pgd, Epsilon = 0.3, Steps = 5 };

    private static (ITransformer Model, StudentTransformer Student) Fit(MLContext ml, DistillationLoss loss, TransferSetOptions? transfer, int epochs = 2, int seed = 1)
    {
        var model = RobustDigits.LabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", RobustDigits.CleanTeacher))
            .Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
            {
                TeacherColumnName = "TeacherLogits", HiddenLayers = [32], Epochs = epochs, MinimumSteps = 0, BatchSize = 64, LearningRate = 3e-3, Seed = seed,
                Loss = loss, TransferSet = transfer,
            })).Fit(RobustDigits.Split(ml, "train"));
        return (model, model.LastTransformer);
    }

    [Fact]
    public void Adversarial_rows_follow_the_real_rows_and_carry_the_robust_teachers_outputs()
    {
        var ml = new MLContext(seed: 1);
        using var loss = new RecordingLoss();
        var (_, student) = Fit(ml, loss, new TransferSetOptions { TeacherModelPath = RobustDigits.RobustTeacher, Augmentations = TransferAugmentation.Adversarial, RowsPerRealRow = 0.5, Attack = Attack }, epochs: 1);
        Assert.Equal(64 + 32, loss.Rows);
        Assert.Equal(32, loss.TransferRows);
        int f = loss.Features, k = 10;
        var adversarial = loss.BatchFeatures.AsSpan(64 * f, 32 * f).ToArray();
        using var robust = new OnlineTeacher(RobustDigits.RobustTeacher, null, f, k, null);
        using var clean = new OnlineTeacher(RobustDigits.CleanTeacher, null, f, k, null);
        var robustScores = robust.Score(adversarial, 32, k);
        var cleanScores = clean.Score(adversarial, 32, k);
        var given = loss.BatchTeacher.AsSpan(64 * k, 32 * k).ToArray();
        for (int i = 0; i < given.Length; i++) Assert.Equal(robustScores[i], given[i], 1e-4f);
        Assert.True(given.Zip(cleanScores).Max(p => Math.Abs(p.First - p.Second)) > 0.1, "the clean teacher would have given the same outputs");
        // each adversarial row is the attacked copy of one of the first 32 real rows: within ε·std of it, and not equal to it
        var real = loss.BatchFeatures.AsSpan(0, 64 * f).ToArray();
        double moved = 0;
        for (int r = 0; r < 32; r++)
            for (int j = 0; j < f; j++) moved = Math.Max(moved, Math.Abs(adversarial[r * f + j] - real[r * f + j]));
        Assert.InRange(moved, 0.01, 0.3 * 7);   // digits pixels have std ≤ 7 (of 16)
        Assert.All(student.History, h => Assert.True(h.TeacherTime > TimeSpan.Zero));
        Assert.Contains(student.History, h => h.LossTerms.ContainsKey("adversarial"));
    }

    [Fact]
    public void The_attack_raises_the_students_loss_and_stays_in_the_ball_and_range()
    {
        var ml = new MLContext(seed: 1);
        var (model, student) = Fit(ml, DistillationLoss.CrossEntropy(), null, epochs: 5);
        var train = RobustDigits.Split(ml, "train");
        var rows = ml.Data.CreateEnumerable<RobustDigits.Row>(train, false).Take(200).ToArray();
        var all = ml.Data.CreateEnumerable<RobustDigits.Row>(train, false).ToArray();
        int f = 64;
        var flat = all.SelectMany(r => r.Features).ToArray();
        var (std, min, max) = AdversarialPerturber.Statistics(all.Length, f, r => flat.AsSpan(r * f, f));
        foreach (var method in new[] { AdversarialMethod.Fgsm, AdversarialMethod.Pgd })
        {
            using var scope = NewDisposeScope();
            var perturber = new AdversarialPerturber(new AdversarialAttack { Method = method, Epsilon = 0.3, Steps = 5 }, std, min, max, seed: 3);
            using var net = MlpStudent.FromNetwork(student.Network);
            net.eval();
            var x = tensor(rows.SelectMany(r => r.Features).ToArray(), [rows.Length, f]);
            var y = tensor(rows.Select(r => (long)r.Label).ToArray());
            var adv = perturber.Perturb(net.forward, x, y);
            using var _ = no_grad();
            double cleanLoss = nn.functional.cross_entropy(net.forward(x), y).item<float>();
            double advLoss = nn.functional.cross_entropy(net.forward(adv), y).item<float>();
            Assert.True(advLoss > cleanLoss * 1.5, $"{method}: adversarial loss {advLoss} vs clean {cleanLoss}");
            var a = adv.data<float>().ToArray();
            var c = x.data<float>().ToArray();
            for (int i = 0; i < a.Length; i++)
            {
                int j = i % f;
                Assert.InRange(a[i], Math.Min(min[j], c[i]) - 1e-5f, Math.Max(max[j], c[i]) + 1e-5f);
                Assert.True(Math.Abs(a[i] - c[i]) <= 0.3 * std[j] + 1e-4, $"{method}: feature {j} moved {a[i] - c[i]} > 0.3·{std[j]}");
            }
        }
    }

    [Fact]
    public void Robustness_evaluation_reports_the_student_and_the_teachers()
    {
        var ml = new MLContext(seed: 1);
        var (model, student) = Fit(ml, DistillationLoss.CrossEntropy(), null, epochs: 5);
        var keyed = RobustDigits.LabelToKey(ml).Fit(RobustDigits.Split(ml, "train"));
        var test = keyed.Transform(RobustDigits.Split(ml, "test"));
        var result = RobustnessEvaluation.Evaluate(student, RobustDigits.Split(ml, "train"), test, Attack,
            teacherModelPaths: [RobustDigits.CleanTeacher, RobustDigits.RobustTeacher]);
        Assert.Equal(540, result.Rows);
        var stock = ml.MulticlassClassification.Evaluate(model.Transform(RobustDigits.Split(ml, "test")));
        Assert.Equal(stock.MicroAccuracy, result.CleanAccuracy, 1e-9);
        Assert.True(result.AdversarialAccuracy < result.CleanAccuracy - 0.1, $"{result.AdversarialAccuracy} vs {result.CleanAccuracy}");
        var reference = RobustDigits.Reference.GetProperty("teachers");
        Assert.Equal(reference.GetProperty("clean").GetProperty("clean_test_accuracy").GetDouble(), result.Teachers[0].CleanAccuracy, 1e-6);
        Assert.Equal(reference.GetProperty("robust").GetProperty("clean_test_accuracy").GetDouble(), result.Teachers[1].CleanAccuracy, 1e-6);
        Assert.InRange(result.Teachers[1].TransferredAttackAccuracy, 0, 1);
        Assert.Contains("PGD-5", result.Attack);
    }

    [Fact]
    public void The_two_teacher_loss_refuses_a_fit_without_adversarial_rows()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.Throws<InvalidOperationException>(() => Fit(ml, DistillationLoss.RobustMultiTeacher(), null, epochs: 1));
        Assert.Contains("TransferAugmentation.Adversarial", e.Message);
    }

    public static TheoryData<string, Action<TransferSetOptions>, string> BadOptions => new()
    {
        { "mixed", o => o.Augmentations = TransferAugmentation.Adversarial | TransferAugmentation.Mixup, "cannot be mixed" },
        { "rows", o => o.RowsPerRealRow = 2, "RowsPerRealRow" },
        { "epsilon", o => o.Attack.Epsilon = 0, "TransferSetOptions.Attack.Epsilon" },
        { "steps", o => o.Attack.Steps = 0, "TransferSetOptions.Attack.Steps" },
        { "step size", o => o.Attack.StepSize = double.NaN, "TransferSetOptions.Attack.StepSize" },
        { "no attack", o => o.Attack = null!, "TransferSetOptions.Attack" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_adversarial_options_are_refused_by_name(string what, Action<TransferSetOptions> spoil, string expected)
    {
        var options = new TransferSetOptions { TeacherModelPath = RobustDigits.RobustTeacher, Augmentations = TransferAugmentation.Adversarial };
        spoil(options);
        var e = Assert.ThrowsAny<ArgumentException>(() => new MLContext().MulticlassClassification.Trainers.Student(new StudentOptions { TeacherColumnName = "T", TransferSet = options }));
        Assert.True(e.Message.Contains(expected), $"{what}: {e.Message}");
    }

    [Fact]
    public void Bad_loss_settings_and_attacks_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DistillationLoss.RobustMultiTeacher(cleanTemperature: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => DistillationLoss.RobustMultiTeacher(temperatureRate: -1));
        var ml = new MLContext(seed: 1);
        var (_, student) = Fit(ml, DistillationLoss.CrossEntropy(), null, epochs: 1);
        var train = RobustDigits.Split(ml, "train");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => RobustnessEvaluation.Evaluate(student, train, train, new AdversarialAttack { Epsilon = -1 }));
        Assert.Contains("attack.Epsilon", e.Message);
        var unkeyed = Assert.Throws<ArgumentException>(() => RobustnessEvaluation.Evaluate(student, train, train, Attack));
        Assert.Contains("key-typed label column 'Label'", unkeyed.Message);
    }
}
