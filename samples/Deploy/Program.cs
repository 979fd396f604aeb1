// Deploy: score a saved MLNet.Distillation student in an app that has only ML.NET and ONNX Runtime — no TorchSharp,
// no libtorch, no MLNet.Distillation.
//
//   dotnet run --project samples/Deploy                                           # the bundled wine student
//   dotnet run --project samples/Deploy -- quickstart-output/student-model.zip    # the quickstart's Fashion-MNIST student
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MLNet.Distillation.Deploy;
using MLNet.Distillation.Samples;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var modelPath = args.FirstOrDefault() ?? Path.Combine(AppContext.BaseDirectory, "Models", "wine-student.zip");
using var student = new StudentModel(modelPath);
Console.WriteLine($"Loaded {modelPath}: {student.FeatureCount} features -> {student.ClassNames.Count} classes ({string.Join(", ", student.ClassNames)}).");

var (rows, labels) = student.FeatureCount switch
{
    13 => WineRows(),
    784 => FashionRows(),
    _ => throw new ArgumentException($"This sample has test rows for 13 (wine) or 784 (Fashion-MNIST) features, not {student.FeatureCount}."),
};

foreach (var row in rows.Take(200)) student.Predict(row);   // warm-up: the first calls JIT-compile the scoring path
var watch = Stopwatch.StartNew();
var predictions = rows.Select(student.Predict).ToArray();
double microseconds = watch.Elapsed.TotalMicroseconds / rows.Length;
foreach (var (p, label) in predictions.Zip(labels).Take(5))
    Console.WriteLine($"  true {label,-12} predicted {p.Label,-12} p = {p.Probabilities.Max():F3}");
double accuracy = predictions.Zip(labels).Count(x => x.First.Label == x.Second) / (double)rows.Length;
Console.WriteLine($"Scored {rows.Length} rows one at a time (PredictionEngine): accuracy {accuracy:P2}, {microseconds:F1} µs per row.");

var torchFiles = Directory.EnumerateFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories)
    .Where(f => Path.GetFileName(f).Contains("torch", StringComparison.OrdinalIgnoreCase) || Path.GetFileName(f).StartsWith("MLNet.Distillation.dll", StringComparison.Ordinal))
    .ToArray();
var torchAssemblies = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name ?? "")
    .Where(n => n.Contains("Torch", StringComparison.OrdinalIgnoreCase) || n == "MLNet.Distillation").ToArray();
Console.WriteLine($"TorchSharp/libtorch/MLNet.Distillation files in the app folder: {torchFiles.Length}; such assemblies loaded: {torchAssemblies.Length}.");
return torchFiles.Length == 0 && torchAssemblies.Length == 0 ? 0 : 1;

static (float[][] Rows, string[] Labels) WineRows()
{
    using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Models", "wine-student.expected.json")));
    var rows = json.RootElement.GetProperty("rows").EnumerateArray().ToArray();
    return (rows.Select(r => r.GetProperty("features").EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray(),
            rows.Select(r => r.GetProperty("label").GetString()!).ToArray());
}

static (float[][] Rows, string[] Labels) FashionRows()
{
    var rows = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "FashionData"), "t10k");
    return (rows.Select(r => r.Features).ToArray(), rows.Select(r => r.Label).ToArray());
}
