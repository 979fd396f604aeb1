// Self-distillation evidence: a suite task (tools/suite.sh makes suite-data/), a share of the training labels kept, and
// the same student trained from scratch, with a mean teacher (keeping the teacher or the student) and with a random
// teacher — same rows, same steps, same seeds — scored on the task's test split. No ONNX teacher is used.
//
//   dotnet run -c Release --project samples/SelfDistillation -- --data suite-data --task digits --labels 0.05 --seeds 3
//   ... --sweep     the mean teacher's noise, consistency weight and masking instead (a sensitivity check on the test split)
//   ... --noise 0.3 the mean teacher's InputNoise; --no-random leaves the random teacher out
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation;
using MLNet.Distillation.Training;

string data = Arg("--data", "suite-data"), taskName = Arg("--task", "digits");
double labelShare = double.Parse(Arg("--labels", "0.05"), CultureInfo.InvariantCulture);
int seeds = int.Parse(Arg("--seeds", "3"), CultureInfo.InvariantCulture);
double noise = double.Parse(Arg("--noise", "0.1"), CultureInfo.InvariantCulture);   // the mean teacher's InputNoise (default 0.1)
string folder = Path.Combine(data, taskName);
using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "task.json")));
var classes = meta.RootElement.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!).ToArray();
int features = meta.RootElement.GetProperty("features").GetInt32();
var hidden = meta.RootElement.GetProperty("student_hidden_layers").EnumerateArray().Select(h => h.GetInt32()).ToArray();

var ml = new MLContext(seed: 1);
var loader = ml.Data.CreateTextLoader(new TextLoader.Options
{
    Separators = [','], HasHeader = true,
    Columns = [new TextLoader.Column("Label", DataKind.String, 0), new TextLoader.Column("Features", DataKind.Single, 1, features)],
});
var keyData = ml.Data.LoadFromEnumerable(classes.Select(c => new ClassName { Value = c }));
var toKey = ml.Transforms.Conversion.MapValueToKey("Label", keyData: keyData);
var train = ml.Data.CreateEnumerable<Row>(loader.Load(Path.Combine(folder, "train.csv")), false).ToArray();
var test = loader.Load(Path.Combine(folder, "test.csv"));
var schema = SchemaDefinition.Create(typeof(Row));
schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features);

// --sweep: the mean teacher's sensitivity to its noise, consistency weight and masking instead of the default conditions.
var conditions = args.Contains("--sweep")
    ? new (string Name, Func<SelfDistillationOptions?> Make)[]
    {
        ("scratch", () => null),
        ("mean teacher, noise 0.3", () => new SelfDistillationOptions { InputNoise = 0.3 }),
        ("mean teacher, weight 5", () => new SelfDistillationOptions { ConsistencyWeight = 5 }),
        ("mean teacher, noise 0.3, weight 5", () => new SelfDistillationOptions { InputNoise = 0.3, ConsistencyWeight = 5 }),
        ("mean teacher, KL, mask 0.25", () => new SelfDistillationOptions { SymmetricCrossEntropy = false, MaskEasyFraction = 0.25 }),
    }
    : new (string Name, Func<SelfDistillationOptions?> Make)[]
    {
        ("scratch", () => null),
        ("mean teacher (keep teacher)", () => new SelfDistillationOptions { InputNoise = noise }),
        ("mean teacher (keep student)", () => new SelfDistillationOptions { InputNoise = noise, KeepMeanTeacher = false }),
        ("random teacher", () => new SelfDistillationOptions { Mode = SelfDistillationMode.RandomTeacher }),
    };
if (args.Contains("--no-random")) conditions = conditions.Where(c => c.Name != "random teacher").ToArray();
var results = conditions.ToDictionary(c => c.Name, _ => new List<double>());
for (int seed = 1; seed <= seeds; seed++)
{
    var rng = new Random(seed);
    var masked = train.Select(r => new Row { Label = rng.NextDouble() < labelShare ? r.Label : "", Features = r.Features }).ToArray();
    var view = ml.Data.LoadFromEnumerable(masked, schema);
    int labelled = masked.Count(r => r.Label != "");
    foreach (var (name, make) in conditions)
    {
        var options = new StudentOptions { HiddenLayers = hidden, Seed = seed, SelfDistillation = make() };
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var model = toKey.Append(ml.MulticlassClassification.Trainers.Student(options)).Fit(view);
        double accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        results[name].Add(accuracy);
        Console.WriteLine($"seed {seed} ({labelled} labelled rows of {masked.Length}): {name,-28} test accuracy {accuracy:P2} ({watch.Elapsed.TotalSeconds:F0} s)");
    }
}
Console.WriteLine();
Console.WriteLine($"| {taskName}, {labelShare:P0} labels, {seeds} seeds | test accuracy (mean ± sd) | vs scratch | per seed |");
Console.WriteLine("|---|---|---|---|");
double scratchMean = results["scratch"].Average();
foreach (var (name, values) in results)
{
    double mean = values.Average(), sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, values.Count - 1));
    Console.WriteLine($"| {name} | {mean * 100:F1} ± {sd * 100:F1} | {(name == "scratch" ? "—" : $"{(mean - scratchMean) * 100:+0.0;-0.0}")} | {string.Join(", ", values.Select(v => (v * 100).ToString("F1", CultureInfo.InvariantCulture)))} |");
}

string Arg(string name, string fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

sealed class Row
{
    public string Label { get; set; } = "";
    public float[] Features { get; set; } = [];
}

sealed class ClassName
{
    public string Value { get; set; } = "";
}
