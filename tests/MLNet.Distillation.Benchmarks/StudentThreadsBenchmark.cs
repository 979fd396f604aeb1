using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Samples;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Benchmarks;

/// <summary>
/// The quickstart's student fit (10,000 Fashion-MNIST rows, a 784-64-10 MLP distilled from the CNN teacher, 30 epochs,
/// batch 128, seed 1) timed under several TorchSharp thread settings, on the machine as it is ("idle") and with one busy
/// process pinned to every core ("loaded"). Every fit runs in a fresh process — an OpenMP wait policy only takes effect
/// before libtorch loads — and the settings take turns, so that drift in the machine's other work spreads over all of
/// them. The teacher runs once, into a soft-label cache that every fit reads.
/// </summary>
internal static class StudentThreadsBenchmark
{
    public static void Run(BenchmarkOptions o, string workFolder)
    {
        var cache = Path.Combine(workFolder, "quickstart-soft-labels.idv");
        var watch = Stopwatch.StartNew();
        ReadAll(Prepare(new MLContext(seed: 1), cache));
        Console.WriteLine($"teacher pass into the soft-label cache: {watch.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"student: 784-{string.Join("-", o.Hidden)}-10, {o.Epochs} epochs, batch {o.StudentBatch}, Hinton T=1 α=1, seed 1, {QuickstartRows()} rows");
        Console.WriteLine($"settings: {string.Join(", ", o.ThreadSettings)} (n: NumberOfThreads = n; torch: TorchSharp's own default; auto: NumberOfThreads = null; " +
            "no suffix: the OpenMP wait policy the library sets (PASSIVE); :default-spin: GNU OpenMP's own default, as before the library set it (OMP_WAIT_POLICY=ACTIVE GOMP_SPINCOUNT=300000); :active, :passive: OMP_WAIT_POLICY)");
        Console.WriteLine();

        var table = new List<(string Condition, string Setting, List<Fit> Fits)>();
        foreach (var condition in o.Conditions)
        {
            using var load = condition == "loaded" ? new BusyLoad(Environment.ProcessorCount) : null;
            Console.WriteLine($"## {condition}{(load is null ? "" : $" ({load.Count} × `yes > /dev/null`, one pinned to each core)")}; load average {LoadAverage()}");
            var fits = o.ThreadSettings.ToDictionary(s => s, _ => new List<Fit>());
            for (int r = 0; r < o.Repeats; r++)
                foreach (var setting in o.ThreadSettings)
                {
                    var fit = Child(o, setting, cache);
                    fits[setting].Add(fit);
                    Console.WriteLine($"  run {r + 1} {setting,-14} {fit.Seconds,7:F2} s wall, {fit.CpuSeconds,7:F2} s CPU, train accuracy {fit.TrainAccuracy:P2}, {fit.Threads}");
                }
            foreach (var s in o.ThreadSettings) table.Add((condition, s, fits[s]));
            Console.WriteLine();
        }

        Console.WriteLine($"## Summary (median of {o.Repeats} fits in seconds; × best = median ÷ the best median in that condition)");
        Console.WriteLine();
        Console.WriteLine("| setting | " + string.Join(" | ", o.Conditions.Select(c => $"{c}: runs (s) | {c}: median | {c}: × best")) + " |");
        Console.WriteLine("| --- | " + string.Join(" | ", o.Conditions.Select(_ => "--- | ---: | ---:")) + " |");
        foreach (var s in o.ThreadSettings)
        {
            var cells = o.Conditions.Select(c =>
            {
                var fits = table.Single(t => t.Condition == c && t.Setting == s).Fits;
                double best = table.Where(t => t.Condition == c).Min(t => Median(t.Fits));
                return $"{string.Join(", ", fits.Select(f => f.Seconds.ToString("F1", CultureInfo.InvariantCulture)))} | {Median(fits):F2} | {Median(fits) / best:F2}×";
            });
            Console.WriteLine($"| {s} | {string.Join(" | ", cells)} |");
        }
    }

    /// <summary>One fit in this process (the child side): prints a <see cref="ChildProcess.ResultPrefix"/> line.</summary>
    public static void RunChild(BenchmarkOptions o, string setting, string cache)
    {
        var ml = new MLContext(seed: 1);
        var threadLines = new List<string>();
        ml.Log += (_, e) => { if (e.Message.Contains("thread", StringComparison.OrdinalIgnoreCase)) lock (threadLines) threadLines.Add(e.Message); };
        var data = Prepare(ml, cache);
        string count = setting.Split(':')[0];
        var options = new StudentOptions
        {
            TeacherColumnName = "TeacherLogits", HiddenLayers = o.Hidden, Epochs = o.Epochs, BatchSize = o.StudentBatch, Seed = 1,
            Loss = DistillationLoss.Hinton(temperature: 1, alpha: 1),
            NumberOfThreads = count switch
            {
                "torch" => TorchSharp.torch.get_num_threads(),
                "auto" => null,
                _ => int.Parse(count, CultureInfo.InvariantCulture),
            },
        };
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var student = ml.MulticlassClassification.Trainers.Student(options).Fit(data);
        double seconds = watch.Elapsed.TotalSeconds;
        process.Refresh();
        double cpuSeconds = (process.TotalProcessorTime - cpu).TotalSeconds;
        string threads = count == "torch" ? $"{options.NumberOfThreads} (TorchSharp default)" : threadLines.LastOrDefault() ?? $"{options.NumberOfThreads}";
        Console.WriteLine(FormattableString.Invariant($"{ChildProcess.ResultPrefix}{seconds} {cpuSeconds} {student.History[^1].TrainAccuracy} {threads.ReplaceLineEndings(" ")}"));
    }

    private sealed record Fit(double Seconds, double CpuSeconds, double TrainAccuracy, string Threads);

    private static Fit Child(BenchmarkOptions o, string setting, string cache)
    {
        var environment = new Dictionary<string, string>();
        switch (setting.Split(':').ElementAtOrDefault(1))
        {
            case "passive": environment["OMP_WAIT_POLICY"] = "PASSIVE"; break;
            case "active": environment["OMP_WAIT_POLICY"] = "ACTIVE"; break;
            case "default-spin":   // libgomp with OMP_WAIT_POLICY unset spins 300,000 times before it sleeps; the library only leaves a set variable alone
                environment["OMP_WAIT_POLICY"] = "ACTIVE";
                environment["GOMP_SPINCOUNT"] = "300000";
                break;
        }
        var args = new List<string> { "--student-fit", setting, "--soft-labels", cache, "--epochs", o.Epochs.ToString(CultureInfo.InvariantCulture),
            "--hidden", string.Join(",", o.Hidden), "--student-batch", o.StudentBatch.ToString(CultureInfo.InvariantCulture) };
        var line = ChildProcess.Run(args, environment).Single().Split(' ', 4);
        return new Fit(double.Parse(line[0], CultureInfo.InvariantCulture), double.Parse(line[1], CultureInfo.InvariantCulture),
            double.Parse(line[2], CultureInfo.InvariantCulture), line.Length > 3 ? line[3] : "");
    }

    /// <summary>The quickstart's training rows with labels as keys in the teacher's order and the teacher column from the cache.</summary>
    private static IDataView Prepare(MLContext ml, string cache)
    {
        var rows = ml.Data.LoadFromEnumerable(FashionMnist.Load(QuickstartData, "train"));
        var classes = ml.Data.LoadFromEnumerable(FashionMnist.ClassNames.Select(c => new ClassName { Value = c }));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyData: classes)
            .Append(ml.Transforms.Distill(new DistillOptions
            {
                TeacherModelPath = Path.Combine(QuickstartData, "fashion_cnn_teacher.onnx"), InputColumnName = "Features",
                OutputColumnName = "TeacherLogits", CachePath = cache,
            }));
        return pipeline.Fit(rows).Transform(rows);
    }

    private static void ReadAll(IDataView data)
    {
        var column = data.Schema["TeacherLogits"];
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<Microsoft.ML.Data.VBuffer<float>>(column);
        Microsoft.ML.Data.VBuffer<float> value = default;
        while (cursor.MoveNext()) getter(ref value);
    }

    private static string QuickstartData => Path.Combine(AppContext.BaseDirectory, "QuickstartData");

    private static int QuickstartRows() => FashionMnist.Load(QuickstartData, "train").Count;

    private static double Median(List<Fit> fits)
    {
        var s = fits.Select(f => f.Seconds).Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private sealed class ClassName
    {
        public string Value { get; set; } = "";
    }
}
