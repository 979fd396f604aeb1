// Robust multi-teacher distillation (MTARD) on scikit-learn's digits with the committed clean and adversarially trained
// ONNX teachers (tools/make_robust_fixtures.py): a student learns clean rows from the clean teacher and its own PGD rows
// from the robust teacher, and RobustnessEvaluation reports clean and adversarial accuracy of students and teachers.
//
//   dotnet run -c Release --project samples/Robust                     # quick: one seed, the two-teacher student only
//   dotnet run -c Release --project samples/Robust -- --evidence --seeds 3 [--steps 2000] [--modes 0,2] [--output robust-evidence.md]
//       scratch, KD from the clean or the robust teacher, KD with adversarial rows labelled by the clean teacher, the two
//       teachers without and with the balance (--modes: indices into that list); the same steps each; clean / FGSM /
//       PGD-10 accuracy on the 540 test rows
using System.Globalization;
using System.Text;
using Microsoft.ML;
using MLNet.Distillation;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Samples.Robust;
using MLNet.Distillation.Training;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string? Arg(string name) => args.SkipWhile(a => a != $"--{name}").Skip(1).FirstOrDefault();
bool evidence = args.Contains("--evidence");
int seeds = int.Parse(Arg("seeds") ?? (evidence ? "3" : "1"));
int steps = int.Parse(Arg("steps") ?? (evidence ? "2000" : "500"));
string clean = Digits.Fixture("digits_clean_teacher.onnx"), robust = Digits.Fixture("digits_robust_teacher.onnx");
// The attack of the fixtures' reference numbers: PGD-10, ε = 0.3 training standard deviations per pixel, step ε/4.
var pgd = new AdversarialAttack { Method = AdversarialMethod.Pgd, Epsilon = 0.3, Steps = 10, StepSize = 0.075 };
var fgsm = new AdversarialAttack { Method = AdversarialMethod.Fgsm, Epsilon = 0.3 };

TransferSetOptions Adversarial(string teacher) => new() { TeacherModelPath = teacher, Augmentations = TransferAugmentation.Adversarial, Attack = pgd };
// Name, the teacher column's model (real rows), the loss, the transfer set; the last is the mode this sample is about.
(string Name, string Column, Func<DistillationLoss> Loss, TransferSetOptions? Transfer)[] modes =
[
    ("scratch", clean, () => DistillationLoss.CrossEntropy(), null),
    ("KD, clean teacher", clean, () => DistillationLoss.Hinton(temperature: 1, alpha: 1), null),
    ("KD, robust teacher", robust, () => DistillationLoss.Hinton(temperature: 1, alpha: 1), null),
    ("KD, clean teacher + adversarial rows labelled by it", clean, () => DistillationLoss.Hinton(temperature: 1, alpha: 1), Adversarial(clean)),
    ("two teachers, plain KL (no balance: T 1/1, ½ each)", clean, () => DistillationLoss.RobustMultiTeacher(temperatureRate: 0, balanceWeights: false), Adversarial(robust)),
    ("robust two-teacher (MTARD, balanced)", clean, () => DistillationLoss.RobustMultiTeacher(), Adversarial(robust)),
];
if (Arg("modes") is { } only) modes = only.Split(',').Select(i => modes[int.Parse(i)]).ToArray();
else if (!evidence) modes = modes[^1..];

var results = new List<(string Mode, int Seed, RobustnessResult Pgd, RobustnessResult Fgsm, double Seconds)>();
foreach (var (name, column, makeLoss, transfer) in modes)
    for (int seed = 1; seed <= seeds; seed++)
    {
        var ml = new MLContext(seed: seed);
        var train = Digits.Split(ml, "train");
        using var loss = makeLoss();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var model = Digits.LabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", column))
            .Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
            {
                TeacherColumnName = "TeacherLogits", HiddenLayers = [128], BatchSize = 128, Seed = seed,
                Epochs = (steps + 9) / 10, MinimumSteps = 0,   // 1,257 rows: 10 steps per epoch
                Loss = loss, TransferSet = transfer,
            })).Fit(train);
        double seconds = watch.Elapsed.TotalSeconds;
        var test = Digits.LabelToKey(ml).Fit(train).Transform(Digits.Split(ml, "test"));
        var student = model.LastTransformer;
        var underPgd = RobustnessEvaluation.Evaluate(student, train, test, pgd, teacherModelPaths: [clean, robust], seed: seed);
        var underFgsm = RobustnessEvaluation.Evaluate(student, train, test, fgsm, seed: seed);
        results.Add((name, seed, underPgd, underFgsm, seconds));
        Console.WriteLine($"{name}, seed {seed}: clean {underPgd.CleanAccuracy:P2}, FGSM {underFgsm.AdversarialAccuracy:P2}, PGD-10 {underPgd.AdversarialAccuracy:P2} " +
                          $"({seconds:F0} s; teachers on this student's PGD rows: clean {underPgd.Teachers[0].TransferredAttackAccuracy:P2}, robust {underPgd.Teachers[1].TransferredAttackAccuracy:P2})");
        if (loss is RobustMultiTeacherLoss mtard)
            Console.WriteLine($"  last step: temperatures clean {mtard.CleanTemperature:F2}, robust {mtard.RobustTemperature:F2}; entropies {mtard.CleanEntropy:F3}, {mtard.RobustEntropy:F3} nats; weights {mtard.CleanWeight:F2}, {mtard.RobustWeight:F2}");
    }

var md = new StringBuilder();
md.AppendLine($"Digits (1,257 train / 540 test rows), student 64-128-10, {steps} steps, batch 128, seeds 1..{seeds}; attacks {pgd} and {fgsm}.");
md.AppendLine();
md.AppendLine("| student | clean accuracy | FGSM accuracy | PGD-10 accuracy | fit time (s) |");
md.AppendLine("| --- | --- | --- | --- | --- |");
string Stat(IEnumerable<double> values)
{
    var v = values.ToArray();
    double mean = v.Average(), sd = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
    return $"{100 * mean:F1} ± {100 * sd:F1}";
}
foreach (var group in results.GroupBy(r => r.Mode))
    md.AppendLine($"| {group.Key} | {Stat(group.Select(r => r.Pgd.CleanAccuracy))} | {Stat(group.Select(r => r.Fgsm.AdversarialAccuracy))} | " +
                  $"{Stat(group.Select(r => r.Pgd.AdversarialAccuracy))} | {group.Average(r => r.Seconds):F0} |");
var first = results[0].Pgd;
md.AppendLine();
md.AppendLine($"Teachers, clean test accuracy: clean {first.Teachers[0].CleanAccuracy:P1}, robust {first.Teachers[1].CleanAccuracy:P1}; " +
              "on the students' PGD rows (transferred attack, mean over all fits above): " +
              $"clean {results.Average(r => r.Pgd.Teachers[0].TransferredAttackAccuracy):P1}, robust {results.Average(r => r.Pgd.Teachers[1].TransferredAttackAccuracy):P1}.");
Console.WriteLine();
Console.WriteLine(md);
if (Arg("output") is { } output) File.WriteAllText(output, md.ToString());
return 0;
