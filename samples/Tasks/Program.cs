// One example per student trainer beyond multiclass, each in its own file: BinaryTask.cs, RegressionTask.cs,
// MultiOutputTask.cs (two teachers) and RankingTask.cs. Each loads CSV with TextLoader, adds the ONNX teacher's output
// with mlContext.Transforms.Distill, trains mlContext.<Catalog>.Trainers.Student, evaluates with ML.NET's stock
// evaluator, saves/loads the model and exports the student to ONNX.
//
//   dotnet run --project samples/Tasks -- binary          # quick: the committed fixtures (also regression, multi-output, ranking)
//   dotnet run --project samples/Tasks -- binary --task-dir suite-data/tasks/fashion-shirt   # the same example on another task folder
//   dotnet run -c Release --project samples/Tasks -- --evidence --seeds 3 [--tasks pima,boston] [--data suite-data/tasks]
//       [--output evidence-output] [--labelled 0.05] [--threads 1] [--resume]
//   (tools/task_suite.sh makes suite-data/tasks with tools/make_task_data.py and runs the evidence)
using System.Globalization;
using MLNet.Distillation.Samples.Tasks;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
ITaskSample[] samples = [new BinaryTask(), new RegressionTask(), new MultiOutputTask(), new RankingTask()];
string? Arg(string name) => args.SkipWhile(a => a != $"--{name}").Skip(1).FirstOrDefault();
var kinds = args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
var unknown = kinds.Where(k => samples.All(s => s.Kind != k)).ToArray();
if (unknown.Length > 0)
{
    Console.Error.WriteLine($"Unknown task kind(s) {string.Join(", ", unknown)}; use {string.Join(", ", samples.Select(s => s.Kind))}.");
    return 2;
}
var chosen = kinds.Length == 0 ? null : samples.Where(s => kinds.Contains(s.Kind)).ToArray();

if (args.Contains("--evidence"))
{
    var only = Arg("tasks")?.Split(',', StringSplitOptions.RemoveEmptyEntries);
    var known = samples.SelectMany(s => s.SuiteTasks).ToArray();
    var wrong = only?.Where(t => !known.Contains(t)).ToArray() ?? [];
    if (wrong.Length > 0)
    {
        Console.Error.WriteLine($"Unknown task(s) {string.Join(", ", wrong)} for --tasks; known: {string.Join(", ", known)}.");
        return 2;
    }
    TaskEvidence.Run(chosen ?? samples, only, Path.GetFullPath(Arg("data") ?? "suite-data/tasks"), Path.GetFullPath(Arg("output") ?? "evidence-output"),
        int.Parse(Arg("seeds") ?? "3", CultureInfo.InvariantCulture), double.Parse(Arg("labelled") ?? "0.05", CultureInfo.InvariantCulture),
        int.Parse(Arg("threads") ?? "1", CultureInfo.InvariantCulture), args.Contains("--resume"),
        "dotnet run -c Release --project samples/Tasks -- " + string.Join(' ', args));
    return 0;
}

var output = Path.GetFullPath(Arg("output") ?? "tasks-output");
foreach (var sample in chosen ?? samples.Take(1).ToArray())
{
    var folder = Arg("task-dir") is { } dir ? Path.GetFullPath(dir) : Path.Combine(AppContext.BaseDirectory, "Fixtures", sample.FixtureTask);
    sample.Example(TaskFolder.Open(folder), output);
}
return 0;
