// MLNet.Distillation quickstart: distil a CNN teacher (ONNX) into a small MLP student inside an ML.NET pipeline.
//
// Setting: 10,000 Fashion-MNIST training images of which only 500 (5%) carry a label; the teacher labels the rest.
// We compare, on 3,000 held-out test images, a student trained from scratch on the 500 labels with the same student
// distilled on all 10,000 rows — and, for honesty, the same two students when all 10,000 labels are available.
//
//   dotnet run --project samples/Quickstart                # the whole comparison and the report (about a minute on 2 cores)
//   dotnet run --project samples/Quickstart -- --output DIR
//   dotnet run --project samples/Quickstart -- --checkpoint DIR   # checkpoint each fit every epoch into DIR/<fit>; a rerun resumes
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Reporting;
using MLNet.Distillation.Samples;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var outputDir = Path.GetFullPath(args.SkipWhile(a => a != "--output").Skip(1).FirstOrDefault() ?? "quickstart-output");
var checkpointDir = args.SkipWhile(a => a != "--checkpoint").Skip(1).FirstOrDefault() is { } c ? Path.GetFullPath(c) : null;
var dataDir = Path.Combine(AppContext.BaseDirectory, "Data");
var teacherPath = Path.Combine(dataDir, "fashion_cnn_teacher.onnx");
const int LabelledRows = 500, Epochs = 30, Seed = 1;
int[] hidden = [64];

var total = Stopwatch.StartNew();
var ml = new MLContext(seed: Seed);
var trainRows = FashionMnist.Load(dataDir, "train");
var testRows = FashionMnist.Load(dataDir, "t10k");
var scarceRows = trainRows.Select((r, i) => i < LabelledRows ? r : new FashionRow { Features = r.Features, Label = "" }).ToList();
Console.WriteLine($"Fashion-MNIST subset: {trainRows.Count} training rows ({LabelledRows} labelled in the label-scarce setting), {testRows.Count} test rows.");

IDataView allLabels = ml.Data.LoadFromEnumerable(trainRows);
IDataView fewLabels = ml.Data.LoadFromEnumerable(scarceRows);
IDataView onlyLabelled = ml.Data.LoadFromEnumerable(trainRows.Take(LabelledRows));
IDataView test = ml.Data.LoadFromEnumerable(testRows);

// Keys in the teacher's class order, so that key k is the teacher's output k. Empty labels become missing keys.
var classes = ml.Data.LoadFromEnumerable(FashionMnist.ClassNames.Select(c => new ClassName { Value = c }));
var labelToKey = ml.Transforms.Conversion.MapValueToKey("Label", keyData: classes);

// The teacher on its own: its predictions on the test set.
var teacherOnly = labelToKey.Append(ml.Transforms.Distill("TeacherLogits", "Features", teacherPath)).Fit(test);
var teacherScores = TopClasses.Of(teacherOnly.Transform(test), "TeacherLogits");
var testLabels = Labels(teacherOnly.Transform(test));
double teacherAcc = Accuracy(teacherScores, testLabels);
Console.WriteLine($"Teacher {Path.GetFileName(teacherPath)}: test accuracy {teacherAcc:P2} ({new FileInfo(teacherPath).Length / 1024} KiB).");

StudentOptions Options(string? teacherColumn, DistillationLoss? loss, string fit) => new()
{
    // One folder per fit: an interrupted run resumes each fit where it stopped, a finished one returns at once.
    Checkpoint = checkpointDir is null ? null : new CheckpointOptions { Directory = Path.Combine(checkpointDir, string.Concat(fit.Select(ch => char.IsLetterOrDigit(ch) ? ch : '-'))) },
    TeacherColumnName = teacherColumn,
    Loss = loss,
    HiddenLayers = hidden,
    Epochs = Epochs,
    Seed = Seed,
    // loss null = the default: with a teacher column, rows without a label learn from the teacher and labelled rows from
    // their label (DistillationLoss.TeacherCorrected(1, 0)); without one, cross-entropy. The default schedule is StableDecay.
};

var results = new List<(string Setting, string Student, double Accuracy, double Agreement, TimeSpan Time)>();
(ITransformer Model, StudentTransformer Student) Train(string setting, string name, IDataView data, string? teacherColumn, DistillationLoss? loss = null)
{
    var watch = Stopwatch.StartNew();
    var model = teacherColumn is null
        ? labelToKey.Append(ml.MulticlassClassification.Trainers.Student(Options(null, null, $"{setting} {name}"))).Fit(data)
        : labelToKey.Append(ml.Transforms.Distill(teacherColumn, "Features", teacherPath))
                    .Append(ml.MulticlassClassification.Trainers.Student(Options(teacherColumn, loss, $"{setting} {name}"))).Fit(data);
    var predictions = model.Transform(test);
    var metrics = ml.MulticlassClassification.Evaluate(predictions);
    var student = model.LastTransformer;
    double agreement = Agreement(TopClasses.Of(predictions, "Score"), teacherScores);
    results.Add((setting, name, metrics.MicroAccuracy, agreement, watch.Elapsed));
    Console.WriteLine($"  {setting,-22} {name,-34} accuracy {metrics.MicroAccuracy:P2}  agreement {agreement:P2}  ({watch.Elapsed.TotalSeconds:F0} s)");
    return (model, student);
}

Console.WriteLine($"\nTraining 784-{string.Join("-", hidden)}-10 students, {Epochs} epochs, AdamW + stable-decay schedule, default losses, seed {Seed}:");
Train("5% labels", $"scratch on {LabelledRows} labelled rows", onlyLabelled, null);
var (distilled, distilledStudent) = Train("5% labels", $"distilled on {trainRows.Count} rows", fewLabels, "TeacherLogits");
Train("100% labels", $"scratch on {trainRows.Count} labelled rows", allLabels, null);
// With every row labelled the default distillation trains what scratch trains; distilling the labelled rows too takes
// one line — here the textbook Hinton KD, which pays off with a teacher this much stronger than the student.
using (var hinton = DistillationLoss.Hinton(temperature: 4, alpha: 0.9))
    Train("100% labels", $"distilled, Hinton T=4 α=0.9", allLabels, "TeacherLogits", hinton);

Console.WriteLine("\n| setting | student | test accuracy | agreement with teacher | time |");
Console.WriteLine("| --- | --- | ---: | ---: | ---: |");
Console.WriteLine($"| teacher | CNN ({new FileInfo(teacherPath).Length / 1024} KiB ONNX) | {teacherAcc:P2} | 100% | |");
foreach (var r in results) Console.WriteLine($"| {r.Setting} | {r.Student} | {r.Accuracy:P2} | {r.Agreement:P2} | {r.Time.TotalSeconds:F0} s |");

foreach (var setting in new[] { "5% labels", "100% labels" })
{
    var pair = results.Where(r => r.Setting == setting).ToArray();
    double gain = pair[1].Accuracy - pair[0].Accuracy;
    double closed = (pair[1].Accuracy - pair[0].Accuracy) / (teacherAcc - pair[0].Accuracy);
    Console.WriteLine(gain > 0.005
        ? $"{setting}: distillation gains {gain * 100:F1} points over scratch and closes {closed:P0} of the scratch→teacher gap."
        : $"{setting}: distillation shows no real gain over scratch here ({gain * 100:+0.0;-0.0} points); its value in this setting is fidelity (agreement {pair[1].Agreement:P1} vs {pair[0].Agreement:P1}).");
}

// Ship the distilled student: an ML.NET model (no teacher inside) and a standalone ONNX file.
Directory.CreateDirectory(outputDir);
var modelPath = Path.Combine(outputDir, "student-model.zip");
var onnxPath = Path.Combine(outputDir, "student.onnx");
ml.Model.Save(distilled, allLabels.Schema, modelPath);
distilledStudent.ExportToOnnx(onnxPath);
bool identical;
using (var reloaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(modelPath, out _))   // dispose: ML.NET deletes its temp copy of the graph
    identical = TopClasses.Of(reloaded.Transform(test), "Score").SequenceEqual(TopClasses.Of(distilled.Transform(test), "Score"));
Console.WriteLine($"\nStudent: {distilledStudent.Network} MLP, {distilledStudent.ParameterCount:N0} parameters; ONNX file {new FileInfo(onnxPath).Length / 1024} KiB vs teacher {new FileInfo(teacherPath).Length / 1024} KiB.");
Console.WriteLine($"Saved the ML.NET model to {modelPath} ({new FileInfo(modelPath).Length / 1024} KiB, no teacher inside) and the ONNX student to {onnxPath}.");
Console.WriteLine($"Reloaded in a fresh MLContext: predictions {(identical ? "identical" : "DIFFERENT")} to the trained model.");

// Teacher vs the shipped student on the test set: quality, fidelity, calibration, size and CPU latency, with plots.
var reportWatch = Stopwatch.StartNew();
var report = DistillationReport.Create(ml, teacherPath, distilled, test);
Console.WriteLine();
Console.WriteLine(report);
var reportFiles = report.Save(outputDir);
Console.WriteLine($"Wrote {string.Join(", ", reportFiles.Select(Path.GetFileName))} to {outputDir} (report: {reportWatch.Elapsed.TotalSeconds:F0} s).");
Console.WriteLine($"Done in {total.Elapsed.TotalSeconds:F0} s.");
return identical ? 0 : 1;

static int[] Labels(IDataView data)
{
    var result = new List<int>();
    using var cursor = data.GetRowCursor([data.Schema["Label"]]);
    var getter = cursor.GetGetter<uint>(data.Schema["Label"]);
    uint key = 0;
    while (cursor.MoveNext()) { getter(ref key); result.Add((int)key - 1); }
    return result.ToArray();
}

static double Accuracy(int[] predicted, int[] labels) => predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length;
static double Agreement(int[] a, int[] b) => a.Zip(b).Count(p => p.First == p.Second) / (double)a.Length;

sealed class ClassName
{
    public string Value { get; set; } = "";
}
