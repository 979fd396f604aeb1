// MLNet.Distillation image sample: distil the Fashion-MNIST CNN teacher (ONNX) into a small CNN student inside an ML.NET
// pipeline, and compare it with the same CNN trained from scratch and with the library's MLP student.
//
//   dotnet run -c Release --project samples/Images                      # quick: one seed on 3,000 bundled rows, 5 % labels (about a minute)
//   nice -n 10 dotnet run -c Release --project samples/Images -- --evidence --seeds 3
//        scratch vs distilled, 5 % and 100 % labels, CNN and MLP students, 3 seeds: the table in docs/results.md
//   options: --train-rows N (default 3,000 quick / 10,000 evidence, from the bundled 10,000-row subset), --epochs N,
//            --threads N (TorchSharp threads per fit), --output DIR
//
// Test rows: the bundled 3,000-row test subset; with --evidence, the full official 10,000-row test set when Debian's
// dataset-fashion-mnist is installed (apt-get install dataset-fashion-mnist).
// Every student trains with the same schedule (AdamW, stable-decay learning rate, batch 128) and epochs; the 5 % scratch
// students, whose 5 % of the rows make 20 times fewer steps per epoch, train for as many steps as the distilled ones.
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation;
using MLNet.Distillation.Export;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Reporting;
using MLNet.Distillation.Samples;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string? Arg(string name) => args.SkipWhile(a => a != $"--{name}").Skip(1).FirstOrDefault();
bool evidence = args.Contains("--evidence");
int seeds = int.Parse(Arg("seeds") ?? (evidence ? "3" : "1"), CultureInfo.InvariantCulture);
int trainRowCount = int.Parse(Arg("train-rows") ?? (evidence ? "10000" : "3000"), CultureInfo.InvariantCulture);
int epochs = int.Parse(Arg("epochs") ?? (evidence ? "5" : "4"), CultureInfo.InvariantCulture);
int? threads = Arg("threads") is { } t ? int.Parse(t, CultureInfo.InvariantCulture) : null;
var outputDir = Path.GetFullPath(Arg("output") ?? "images-output");
var dataDir = Path.Combine(AppContext.BaseDirectory, "Data");
var teacherPath = Path.Combine(dataDir, "fashion_cnn_teacher.onnx");
const double LabelledFraction = 0.05;

var total = Stopwatch.StartNew();
var ml = new MLContext(seed: 1);
var allTrain = FashionMnist.Load(dataDir, "train");
if (trainRowCount < 20 || trainRowCount > allTrain.Count)
    throw new ArgumentOutOfRangeException("--train-rows", trainRowCount, $"--train-rows must lie in [20, {allTrain.Count}] (the bundled subset's rows).");
var trainRows = allTrain.Take(trainRowCount).ToList();
string debian = Path.Combine(FashionMnist.DebianDirectory, "fashion-mnist");
bool fullTest = evidence && File.Exists(Path.Combine(debian, "t10k-images-idx3-ubyte.gz"));
var testRows = FashionMnist.Load(fullTest ? debian : dataDir, "t10k");
int labelled = (int)Math.Round(trainRows.Count * LabelledFraction);
Console.WriteLine($"Fashion-MNIST: {trainRows.Count:N0} training rows from the bundled subset ({labelled:N0} labelled in the 5 % setting), " +
                  $"{testRows.Count:N0} test rows ({(fullTest ? "the full official test set" : "the bundled test subset")}); {epochs} epochs, {seeds} seed(s).");

// Keys in the teacher's class order; the teacher runs once per data set (ML.NET's cache keeps its logits).
var classes = ml.Data.LoadFromEnumerable(FashionMnist.ClassNames.Select(c => new ClassName { Value = c }));
var prep = ml.Transforms.Conversion.MapValueToKey("Label", keyData: classes)
    .Append(ml.Transforms.Distill("TeacherLogits", "Features", teacherPath)).Fit(ml.Data.LoadFromEnumerable(testRows.Take(1)));
IDataView Prepared(IEnumerable<FashionRow> rows)
{
    var data = ml.Data.Cache(prep.Transform(ml.Data.LoadFromEnumerable(rows.ToList())));
    using var cursor = data.GetRowCursor(data.Schema);   // fills the cache now, so the teacher's time is not any student's
    while (cursor.MoveNext()) { }
    return data;
}
var test = Prepared(testRows);
var testLabels = ml.Data.CreateEnumerable<KeyRow>(test, false).Select(r => (int)r.Label - 1).ToArray();
var teacherTop = TopClasses.Of(test, "TeacherLogits");
double teacherAccuracy = Fraction(teacherTop, testLabels);
Console.WriteLine($"Teacher {Path.GetFileName(teacherPath)} (CNN, 421,834 parameters, {new FileInfo(teacherPath).Length / 1024} KiB): test accuracy {teacherAccuracy:P2}.");
var allLabels = Prepared(trainRows);
var fewLabels = Prepared(trainRows.Select((r, i) => i < labelled ? r : new FashionRow { Features = r.Features, Label = "" }));
var onlyLabelled = Prepared(trainRows.Take(labelled));

// The CNN student: two 3×3 convolution blocks (8 and 16 channels, batch norm, 2×2 max pool) → 784 features → 64 → 10.
// The MLP student: the library's default 784-128-10 (standardised pixels).
var cnn = StudentArchitecture.Cnn(new CnnOptions { Channels = 1, Height = 28, Width = 28, Blocks = [new ConvBlock(8), new ConvBlock(16)] });
var students = new (string Name, StudentArchitecture? Architecture, int[] Hidden)[] { ("CNN", cnn, [64]), ("MLP", null, [128]) };
var settings = new (string Name, IDataView Data, bool Distilled)[]
{
    ("5 % labels, scratch", onlyLabelled, false), ("5 % labels, distilled", fewLabels, true),
    ("100 % labels, scratch", allLabels, false), ("100 % labels, distilled (Hinton T=4, α=0.9)", allLabels, true),
};
if (!evidence) settings = settings[..2];

const int BatchSize = 128;   // StudentOptions' default
int stepsPerFit = (trainRows.Count + BatchSize - 1) / BatchSize * epochs;
var results = new List<Result>();
var shipped = new Dictionary<string, StudentTransformer>();
for (int seed = 1; seed <= seeds; seed++)
    foreach (var (studentName, architecture, hidden) in students)
        foreach (var (setting, data, distilled) in settings)
        {
            if (!evidence && studentName == "MLP") continue;
            var watch = Stopwatch.StartNew();
            using var hinton = setting.StartsWith("100", StringComparison.Ordinal) && distilled ? DistillationLoss.Hinton(temperature: 4, alpha: 0.9) : null;
            var model = ml.MulticlassClassification.Trainers.Student(new StudentOptions
            {
                Architecture = architecture, HiddenLayers = hidden, Epochs = epochs, Seed = seed, NumberOfThreads = threads,
                // Scratch: cross-entropy on the labels. Distilled with 5 % labels: the default loss (unlabelled rows learn from
                // the teacher, labelled rows from their label); with 100 %: Hinton KD.
                TeacherColumnName = distilled ? "TeacherLogits" : null, Loss = hinton,
                MinimumSteps = data == onlyLabelled ? stepsPerFit : null,
            }).Fit(data);
            var scored = model.Transform(test);
            var top = TopClasses.Of(scored, "Score");
            var r = new Result(studentName, setting, seed, Fraction(top, testLabels), Fraction(top, teacherTop), watch.Elapsed, model.Network.ParameterCount,
                StudentOnnxExporter.ToOnnx(model.Network).LongLength);
            results.Add(r);
            Console.WriteLine($"  seed {seed} {studentName} {setting,-44} accuracy {r.Accuracy:P2}  agreement {r.Agreement:P2}  ({r.Time.TotalSeconds:F0} s)");
            if (seed == 1 && distilled && !shipped.ContainsKey(studentName)) shipped[studentName] = model;
            else model.Dispose();
        }

Console.WriteLine($"\n| setting | student | test accuracy{(seeds > 1 ? $" (mean ± sd, {seeds} seeds)" : "")} | agreement with teacher | time per fit |");
Console.WriteLine("| --- | --- | ---: | ---: | ---: |");
Console.WriteLine($"| teacher | CNN, 421,834 parameters | {teacherAccuracy:P2} | 100 % | |");
foreach (var group in results.GroupBy(r => (r.Setting, r.Student)))
    Console.WriteLine($"| {group.Key.Setting} | {group.Key.Student} | {MeanSd(group.Select(r => r.Accuracy))} | {MeanSd(group.Select(r => r.Agreement))} | {group.Average(r => r.Time.TotalSeconds):F0} s |");
foreach (var studentName in results.Select(r => r.Student).Distinct())
    foreach (var prefix in new[] { "5 %", "100 %" })
    {
        var scratch = results.Where(r => r.Student == studentName && r.Setting.StartsWith(prefix + " labels, scratch", StringComparison.Ordinal)).ToArray();
        var distilledRuns = results.Where(r => r.Student == studentName && r.Setting.StartsWith(prefix + " labels, distilled", StringComparison.Ordinal)).ToArray();
        if (scratch.Length == 0 || distilledRuns.Length == 0) continue;
        var gains = scratch.Zip(distilledRuns, (s, d) => d.Accuracy - s.Accuracy).ToArray();
        Console.WriteLine($"{studentName}, {prefix} labels: distillation {(gains.Average() >= 0 ? "gains" : "loses")} {Math.Abs(gains.Average()) * 100:F2} points over scratch " +
                          $"(per seed: {string.Join(", ", gains.Select(g => (g * 100).ToString("+0.00;-0.00", CultureInfo.InvariantCulture)))}).");
    }

// Size and single-row latency of the distilled students (seed 1) against the teacher, from DistillationReport (ONNX Runtime,
// one row per call, one intra-op thread); the CNN student is also saved, reloaded and exported.
Directory.CreateDirectory(outputDir);
Console.WriteLine("\n| model | parameters (ONNX) | ONNX size | single-row p50, ONNX Runtime (1 thread) | single-row p50, ML.NET PredictionEngine |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
bool teacherPrinted = false, identical = true;
string saved = "";
foreach (var (studentName, model) in shipped)
{
    var report = DistillationReport.Create(ml, teacherPath, model, test);
    if (!teacherPrinted)
    {
        Console.WriteLine($"| teacher | {report.Teacher.ParameterCount:N0} | {report.Teacher.FileBytes / 1024.0:N0} KiB | {report.Teacher.Latency[0].P50Milliseconds * 1000:N0} µs | |");
        teacherPrinted = true;
    }
    var onnx = report.Student.Latency.First(l => l.Runtime == DistillationReport.OnnxRuntime);
    var mlnet = report.Student.Latency.First(l => l.Runtime == DistillationReport.MlNet);
    Console.WriteLine($"| {studentName} student ({model.Network}) | {report.Student.ParameterCount:N0} | {report.Student.FileBytes / 1024.0:N0} KiB | " +
                      $"{onnx.P50Milliseconds * 1000:N0} µs | {mlnet.P50Milliseconds * 1000:N0} µs |");
    if (studentName != "CNN") continue;
    report.Save(outputDir, includePlots: false);
    var modelPath = Path.Combine(outputDir, "cnn-student-model.zip");
    ml.Model.Save(model, allLabels.Schema, modelPath);
    model.ExportToOnnx(Path.Combine(outputDir, "cnn-student.onnx"));
    using var reloaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(modelPath, out _);   // dispose: ML.NET deletes its temp copy of the graph
    identical = TopClasses.Of(reloaded.Transform(test), "Score").SequenceEqual(TopClasses.Of(model.Transform(test), "Score"));
    saved = $"CNN student saved to {modelPath} and reloaded with plain Model.Load in a fresh MLContext: predictions {(identical ? "identical" : "DIFFERENT")}; " +
            $"ONNX file and report in {outputDir}.";
}
Console.WriteLine(saved);
foreach (var model in shipped.Values) model.Dispose();
Console.WriteLine($"Done in {total.Elapsed.TotalSeconds:F0} s.");
return identical ? 0 : 1;

static double Fraction(int[] a, int[] b) => a.Zip(b).Count(p => p.First == p.Second) / (double)a.Length;
static string MeanSd(IEnumerable<double> values)
{
    var v = values.ToArray();
    double mean = v.Average();
    if (v.Length == 1) return $"{mean:P2}";
    double sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
    return $"{mean * 100:F2} ± {sd * 100:F2} %";
}

sealed record Result(string Student, string Setting, int Seed, double Accuracy, double Agreement, TimeSpan Time, long Parameters, long OnnxBytes);

sealed class ClassName
{
    public string Value { get; set; } = "";
}

sealed class KeyRow
{
    [KeyType(10)] public uint Label { get; set; }
}
