// Evidence program: what each loss, transfer set and AutoDistill buys on real tasks, measured with a fair scratch
// baseline (same student, schedule and epochs), 3 seeds, mean ± sd. Results go to docs/losses.md and docs/results.md.
//
//   apt-get install dataset-fashion-mnist                       # the full Fashion-MNIST (60k/10k) for the "fashion" task
//   dotnet run -c Release --project samples/Evidence -- losses  [--task fashion|quickstart] [--seeds 3] [--epochs 20]
//   dotnet run -c Release --project samples/Evidence -- label-scarce [--task ...] [--epochs 60]
//   dotnet run -c Release --project samples/Evidence -- full-labels  [--task ...] [--epochs 60]
//   (--threads N sets TorchSharp's threads per run; --output DIR where the Markdown tables go)
//
// The benchmark suite (tools/suite.sh makes the data and teachers with tools/make_suite.py into suite-data/):
//   dotnet run -c Release --project samples/Evidence -- suite      [--tasks a,b|all] [--seeds 3] [--threads 1] [--data suite-data] [--conditions ...]
//   dotnet run -c Release --project samples/Evidence -- suite-grid [--tasks a,b|all] [--seeds 3] [--threads 1] [--configs ...] [--resume]
//   dotnet run -c Release --project samples/Evidence -- data-strategies [--tasks satellite] [--seeds 3] [--blocks prune,reference,domains,ood]
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Samples;
using MLNet.Distillation.Search;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string command = args.FirstOrDefault(a => !a.StartsWith("--")) ?? "losses";
string Arg(string name, string fallback) => args.SkipWhile(a => a != $"--{name}").Skip(1).FirstOrDefault() ?? fallback;
if (command is "suite" or "suite-grid" or "data-strategies")
{
    var suite = new SuiteArguments(args);
    if (command == "suite") SuiteConditions.Run(suite, args);
    else if (command == "data-strategies") DataStrategyEvidence.Run(suite, args);
    else SuiteGrid.Run(suite, args);
    return;
}
string task = Arg("task", "fashion");
int seeds = int.Parse(Arg("seeds", "3"));
int? threads = args.Contains("--threads") ? int.Parse(Arg("threads", "1")) : null;   // TorchSharp threads per student (1 avoids oversubscription when runs share cores)
string outDir = Path.GetFullPath(Arg("output", "evidence-output"));
Directory.CreateDirectory(outDir);

var bench = new Bench(task, threads);
Console.WriteLine($"Task {task}: {bench.TrainRows} training rows, {bench.TestRows} test rows; teacher test accuracy {bench.TeacherAccuracy:P2}.");
string markdown = command switch
{
    "losses" => Losses(int.Parse(Arg("epochs", "20"))),
    "label-scarce" => LabelScarce(int.Parse(Arg("epochs", "60")), double.Parse(Arg("labelled", "0.05"))),
    "full-labels" => FullLabels(int.Parse(Arg("epochs", "60"))),
    _ => throw new ArgumentException($"Unknown command '{command}'. Use losses, label-scarce, full-labels, suite or suite-grid."),
};
var file = Path.Combine(outDir, $"{command}-{task}.md");
File.WriteAllText(file, markdown);
Console.WriteLine(markdown);
Console.WriteLine($"Written to {file}");

string Losses(int epochs)
{
    var losses = new (string Name, Func<DistillationLoss> Make)[]
    {
        ("scratch: cross-entropy", () => DistillationLoss.CrossEntropy()),
        ("cross-entropy, label smoothing 0.1", () => DistillationLoss.CrossEntropy(0.1)),
        ("Hinton KD (T=4, α=0.9)", () => DistillationLoss.Hinton()),
        ("Hinton KD (T=1, α=1)", () => DistillationLoss.Hinton(1, 1)),
        ("logit MSE", () => DistillationLoss.LogitMse()),
        ("reverse KL", () => DistillationLoss.ReverseKl()),
        ("Jensen–Shannon", () => DistillationLoss.JensenShannon()),
        ("skew KL (λ=0.1)", () => DistillationLoss.SkewKl()),
        ("skew reverse KL (λ=0.1)", () => DistillationLoss.SkewReverseKl()),
        ("total variation", () => DistillationLoss.TotalVariation()),
        ("DKD", () => DistillationLoss.Dkd()),
        ("NKD", () => DistillationLoss.Nkd()),
        ("USKD (teacher-free)", () => DistillationLoss.Uskd()),
        ("SinKD + Hinton (T=2, α=0.8), as in the paper", () => DistillationLoss.Hinton(2, 0.8) + DistillationLoss.Sinkhorn()),
        ("Z-loss (student loss)", () => DistillationLoss.ZLoss()),
        ("Z-loss distillation", () => DistillationLoss.ZLossDistillation()),
        ("LDR-KL", () => DistillationLoss.LdrKl()),
        ("ALDR-KL", () => DistillationLoss.AldrKl()),
        ("symmetric CE", () => DistillationLoss.SymmetricCrossEntropy()),
        ("symmetric CE to teacher", () => DistillationLoss.SymmetricCrossEntropyToTeacher()),
        ("generalized CE (q=0.7)", () => DistillationLoss.GeneralizedCrossEntropy()),
        ("MAE", () => DistillationLoss.Mae()),
        ("confidence-limiting (N=4)", () => DistillationLoss.ConfidenceLimiting()),
        ("dual-head KD", () => DistillationLoss.DualHead()),
        ("TGeo-KD", () => DistillationLoss.TGeoKd()),
        ("multi-sample dropout (Hinton)", () => DistillationLoss.MultiSampleDropout(DistillationLoss.Hinton())),
    };
    var rows = new List<Summary>();
    foreach (var (name, make) in losses)
    {
        var runs = Enumerable.Range(1, seeds).Select(seed =>
        {
            using var loss = make();
            bool heldOut = loss.NeedsHeldOutData;
            return bench.Run(new StudentOptions { Loss = loss, Epochs = epochs, Seed = seed, ValidationFraction = heldOut ? 0.1 : 0 });
        }).ToArray();
        rows.Add(Summary.Of(name, runs));
        Console.WriteLine($"  {rows[^1].Line(bench.TeacherAccuracy, rows[0].Accuracy)}");
    }
    return Table($"Losses on {bench.Description}: 784-128-10 MLP student, {epochs} epochs, AdamW lr 1e-3, cosine schedule, batch 128, {seeds} seeds, full labels.", rows, rows[0].Accuracy);
}

string LabelScarce(int epochs, double fraction)
{
    int labelled = (int)(bench.TrainRows * fraction);
    var rows = new List<Summary>
    {
        Summary.Of($"scratch on the {labelled} labelled rows ({fraction:P0})", Seeds(s => bench.Run(new StudentOptions { Epochs = epochs, Seed = s }, labelledRows: labelled, useUnlabelled: false))),
        Summary.Of($"scratch on all {bench.TrainRows} rows with labels (100 %, tuned: cosine, same epochs)", Seeds(s => bench.Run(new StudentOptions { Epochs = epochs, Seed = s }))),
        Summary.Of($"distilled, {fraction:P0} labels + {bench.TrainRows - labelled} teacher-labelled rows: Hinton T=1 α=1", Seeds(s => bench.Run(new StudentOptions { Loss = DistillationLoss.Hinton(1, 1), Epochs = epochs, Seed = s }, labelledRows: labelled))),
        Summary.Of($"distilled, {fraction:P0} labels + teacher-labelled rest: Hinton T=4 α=0.9", Seeds(s => bench.Run(new StudentOptions { Loss = DistillationLoss.Hinton(), Epochs = epochs, Seed = s }, labelledRows: labelled))),
    };
    return Table($"Label-scarce {bench.Description}: {fraction:P0} of the training rows keep their label; 784-128-10 MLP, {epochs} epochs, AdamW + cosine, {seeds} seeds.", rows, rows[0].Accuracy);
}

string FullLabels(int epochs)
{
    var rows = new List<Summary>
    {
        Summary.Of("tuned scratch (cross-entropy, cosine)", Seeds(s => bench.Run(new StudentOptions { Epochs = epochs, Seed = s }))),
        Summary.Of("textbook KD (T=4, α=0.9, constant lr)", Seeds(s => bench.Run(new StudentOptions { Loss = DistillationLoss.Hinton(), Epochs = epochs, Seed = s, Schedule = LearningRateSchedule.Constant }))),
        Summary.Of("KD (T=4, α=0.9, cosine)", Seeds(s => bench.Run(new StudentOptions { Loss = DistillationLoss.Hinton(), Epochs = epochs, Seed = s }))),
    };
    var picks = new List<string>();
    rows.Add(Summary.Of("AutoDistill pick (refit on all rows)", Seeds(s =>
    {
        var result = bench.RunAutoDistill(epochs, s);
        picks.Add($"seed {s}: {result.Student.AutoDistill!.Winner}");
        File.WriteAllText(Path.Combine(outDir, $"autodistill-{task}-seed{s}.md"), result.Student.AutoDistill!.ToMarkdown());
        return result.Run;
    })));
    return Table($"Full labels, {bench.Description}: 784-128-10 MLP, {epochs} epochs, {seeds} seeds.", rows, rows[0].Accuracy)
        + $"\nAutoDistill picks: {string.Join("; ", picks)}.\n";
}

Run[] Seeds(Func<int, Run> run) => Enumerable.Range(1, seeds).Select(run).ToArray();

string Table(string title, List<Summary> rows, double scratch)
{
    var sb = new System.Text.StringBuilder();
    sb.AppendLine(title);
    sb.AppendLine($"Teacher: {bench.TeacherDescription}, test accuracy {bench.TeacherAccuracy:P2}. Gap closed = (accuracy − scratch) / (teacher − scratch), scratch = first row.");
    sb.AppendLine();
    sb.AppendLine("| configuration | test accuracy (mean ± sd) | agreement with teacher | gap closed | wall time per run |");
    sb.AppendLine("| --- | ---: | ---: | ---: | ---: |");
    foreach (var r in rows) sb.AppendLine(r.Row(bench.TeacherAccuracy, scratch));
    return sb.ToString();
}

sealed record Run(double Accuracy, double Agreement, TimeSpan Time);

sealed record Summary(string Name, double Accuracy, double Sd, double Agreement, TimeSpan Time)
{
    public static Summary Of(string name, Run[] runs)
    {
        double mean = runs.Average(r => r.Accuracy);
        double sd = runs.Length > 1 ? Math.Sqrt(runs.Sum(r => (r.Accuracy - mean) * (r.Accuracy - mean)) / (runs.Length - 1)) : 0;
        return new(name, mean, sd, runs.Average(r => r.Agreement), TimeSpan.FromSeconds(runs.Average(r => r.Time.TotalSeconds)));
    }
    public string Row(double teacher, double scratch)
        => $"| {Name} | {Accuracy * 100:F2} ± {Sd * 100:F2} | {Agreement * 100:F2} | {(Accuracy - scratch) / (teacher - scratch) * 100:F0} % | {Time.TotalSeconds:F0} s |";
    public string Line(double teacher, double scratch) => $"{Name}: {Accuracy * 100:F2} ± {Sd * 100:F2}, agreement {Agreement * 100:F2}, gap closed {(Accuracy - scratch) / (teacher - scratch) * 100:F0} %, {Time.TotalSeconds:F0} s";
}

/// <summary>One task: data scored once by the teacher and cached, then any number of student runs on it.</summary>
sealed class Bench
{
    private readonly MLContext _ml = new(seed: 1);
    private readonly List<FashionRow> _train;
    private readonly IDataView _test;
    private readonly int[] _testTeacher;
    private readonly ITransformer _prep;
    private readonly string _teacherPath;

    private readonly int? _threads;

    public Bench(string task, int? threads)
    {
        _threads = threads;
        var dir = task switch
        {
            "fashion" => Path.Combine(FashionMnist.DebianDirectory, "fashion-mnist"),
            "quickstart" => Path.Combine(AppContext.BaseDirectory, "Data"),
            _ => throw new ArgumentException($"Unknown task '{task}': use fashion (Debian's dataset-fashion-mnist) or quickstart (the bundled subset)."),
        };
        if (!File.Exists(Path.Combine(dir, "train-images-idx3-ubyte.gz")))
            throw new FileNotFoundException($"Fashion-MNIST not found in {dir}. Install it with: apt-get install dataset-fashion-mnist");
        _teacherPath = Path.Combine(AppContext.BaseDirectory, "Data", "fashion_cnn_teacher.onnx");
        _train = FashionMnist.Load(dir, "train");
        var testRows = FashionMnist.Load(dir, "t10k");
        Description = task == "fashion" ? $"Fashion-MNIST ({_train.Count:N0} train / {testRows.Count:N0} test)" : $"the quickstart task (Fashion-MNIST subset, {_train.Count:N0} train / {testRows.Count:N0} test)";
        var classes = _ml.Data.LoadFromEnumerable(FashionMnist.ClassNames.Select(c => new ClassName { Value = c }));
        _prep = _ml.Transforms.Conversion.MapValueToKey("Label", keyData: classes)
            .Append(_ml.Transforms.Distill("TeacherLogits", "Features", _teacherPath)).Fit(_ml.Data.LoadFromEnumerable(testRows));
        _test = _ml.Data.Cache(_prep.Transform(_ml.Data.LoadFromEnumerable(testRows)));
        _testTeacher = TopClasses.Of(_test, "TeacherLogits");
        var labels = _ml.Data.CreateEnumerable<KeyRow>(_test, false).Select(r => (int)r.Label - 1).ToArray();
        TeacherAccuracy = _testTeacher.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length;
        TestRows = testRows.Count;
    }

    public string Description { get; }
    public string TeacherDescription => "CNN (2 conv + 2 FC, 421,834 parameters) trained on the full 60k train set";
    public double TeacherAccuracy { get; }
    public int TrainRows => _train.Count;
    public int TestRows { get; }

    private readonly Dictionary<(int, bool), IDataView> _cache = new();

    /// <summary>Training rows: the first <paramref name="labelledRows"/> keep their label; with <paramref name="useUnlabelled"/> the rest come without.</summary>
    private IDataView Data(int labelledRows, bool useUnlabelled)
    {
        if (_cache.TryGetValue((labelledRows, useUnlabelled), out var cached)) return cached;
        var rows = useUnlabelled
            ? _train.Select((r, i) => i < labelledRows ? r : new FashionRow { Features = r.Features, Label = "" })
            : _train.Take(labelledRows);
        var data = _ml.Data.Cache(_prep.Transform(_ml.Data.LoadFromEnumerable(rows.ToList())));
        _cache[(labelledRows, useUnlabelled)] = data;
        return data;
    }

    public Run Run(StudentOptions options, int? labelledRows = null, bool useUnlabelled = true)
    {
        options.HiddenLayers = [128];
        options.NumberOfThreads = _threads;
        options.TeacherColumnName = options.Loss is { RequiresTeacher: true } ? "TeacherLogits" : null;
        var data = Data(labelledRows ?? _train.Count, useUnlabelled);
        var watch = Stopwatch.StartNew();
        var student = _ml.MulticlassClassification.Trainers.Student(options).Fit(data);
        return Score(student, watch.Elapsed);
    }

    public (Run Run, StudentTransformer Student) RunAutoDistill(int epochs, int seed)
    {
        var watch = Stopwatch.StartNew();
        var student = _ml.MulticlassClassification.Trainers.AutoDistill(new AutoDistillOptions
        {
            Student = new StudentOptions { TeacherColumnName = "TeacherLogits", HiddenLayers = [128], Epochs = epochs, Seed = seed, NumberOfThreads = _threads },
            Candidates = AutoDistillCandidate.DefaultSpace(_teacherPath, [1, 28, 28]),
        }).Fit(Data(_train.Count, true));
        return (Score(student, watch.Elapsed), student);
    }

    private Run Score(StudentTransformer student, TimeSpan elapsed)
    {
        var scored = student.Transform(_test);
        var predicted = TopClasses.Of(scored, "Score");
        var labels = _ml.Data.CreateEnumerable<KeyRow>(scored, false).Select(r => (int)r.Label - 1).ToArray();
        return new Run(predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length,
            predicted.Zip(_testTeacher).Count(p => p.First == p.Second) / (double)labels.Length, elapsed);
    }


    private sealed class KeyRow
    {
        public uint Label { get; set; }
    }
}

sealed class ClassName
{
    public string Value { get; set; } = "";
}
