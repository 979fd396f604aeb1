using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Samples;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Benchmarks;

/// <summary>
/// Student epoch time of the library against the same student in PyTorch, in one run: the data is written once as .npy
/// files; each repeat fits the library's student from an <c>IDataView</c> over those rows in a fresh process (the epoch
/// times from <see cref="EpochProgress.Elapsed"/>: shuffling, gathering each batch into tensors, forward, loss, backward,
/// optimiser step, the loop's own bookkeeping) and runs tools/bench_pytorch_students.py on the same files with the same
/// model, batch, optimiser, loss, dtype and threads (its epochs: shuffle, slicing, forward, loss, backward, step,
/// <c>loss.item()</c>). The first epoch of each is a warm-up and not counted; a run's epoch time is the median of the
/// others. Library and PyTorch run back to back, in alternating order, and the ratio reported is the median over the
/// pairs, so both sides of a pair see the same background load.
/// </summary>
internal static class StudentSpeedBenchmark
{
    private const int Classes = 10;
    private const double Temperature = 4, Alpha = 0.9, LearningRate = 1e-3;

    /// <summary>A student kind: its library options, the PyTorch script's model arguments and the data it reads.</summary>
    private sealed record Kind(string Name, string Data, Func<BenchmarkOptions, string> Describe, Action<BenchmarkOptions, StudentOptions> Configure,
        Func<BenchmarkOptions, string[]> PythonModel);

    private static readonly Kind[] Kinds =
    [
        new("mlp", "images", o => $"MLP 784-{string.Join("-", SpeedHidden(o))}-10 (ReLU, input standardisation)",
            (o, s) => s.HiddenLayers = SpeedHidden(o),
            o => ["--model", "mlp", "--hidden", string.Join(",", SpeedHidden(o))]),
        new("cnn", "images", o => $"CNN 1×28×28 [16c3-bn-p2, 32c3-bn-p2]-{string.Join("-", SpeedHidden(o))}-10 (CnnOptions defaults, input normalisation)",
            (o, s) =>
            {
                s.Architecture = StudentArchitecture.Cnn(new CnnOptions { Channels = 1, Height = 28, Width = 28 });
                s.HiddenLayers = SpeedHidden(o);
            },
            o => ["--model", "cnn", "--hidden", string.Join(",", SpeedHidden(o))]),
        new("text-bag", "tokens", _ => $"embedding bag over {MaxTokens} token ids, {TokenDimension} wide, no hidden layer (EmbeddingBagStudentOptions defaults)",
            (_, s) =>
            {
                s.Architecture = StudentArchitecture.EmbeddingBag(new EmbeddingBagStudentOptions { MaxTokens = MaxTokens, EmbeddingDimension = TokenDimension });
                s.HiddenLayers = [];
            },
            _ => ["--model", "text-bag", "--hidden", ""]),
        new("text-cnn", "tokens", _ => $"text CNN over {MaxTokens} token ids, {TokenDimension}-wide embeddings, 64 filters of widths 3, 4, 5, no hidden layer (TextCnnStudentOptions defaults)",
            (_, s) =>
            {
                s.Architecture = StudentArchitecture.TextCnn(new TextCnnStudentOptions { MaxTokens = MaxTokens, EmbeddingDimension = TokenDimension });
                s.HiddenLayers = [];
            },
            _ => ["--model", "text-cnn", "--hidden", ""]),
    ];

    /// <summary>Token rows: ids per row (padded with 0), embedding width and vocabulary of the generated token data.</summary>
    private const int MaxTokens = 64, TokenDimension = 64, Vocabulary = 20_000;

    public static IReadOnlyList<string> KindNames => Kinds.Select(k => k.Name).ToArray();

    private static int[] SpeedHidden(BenchmarkOptions o) => o.HiddenGiven ? o.Hidden : [128];

    private static int Threads(BenchmarkOptions o) => o.IntraOpThreads ?? Environment.ProcessorCount;

    public static void Run(BenchmarkOptions o, string folder)
    {
        var kinds = o.SpeedKinds.Select(name => Kinds.FirstOrDefault(k => k.Name == name)
            ?? throw new ArgumentException($"--students: '{name}' is not a student kind of this benchmark; use {string.Join(", ", KindNames)}.")).ToArray();
        string script = FindScript(o);
        int threads = Threads(o);
        // Both sides wait for OpenMP work the same way: the policy the library runs with (it sets PASSIVE unless the environment sets one).
        string waitPolicy = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "PASSIVE";
        var environment = new Dictionary<string, string> { ["OPENBLAS_NUM_THREADS"] = Invariant(threads), ["OMP_WAIT_POLICY"] = waitPolicy };
        Console.WriteLine($"settings: {o.Rows} rows, batch {o.StudentBatch}, {threads} threads, OMP_WAIT_POLICY={waitPolicy} for both, 1 warm-up + {o.SpeedEpochs} timed epochs per fit, " +
                          $"{o.Repeats} repeats, Adam lr {LearningRate}, Hinton T={Temperature} α={Alpha}, float32, seed 1");
        Console.WriteLine($"PyTorch: {o.Python} {script}");
        Console.WriteLine();

        var written = new HashSet<string>();
        var summary = new List<(Kind Kind, List<Fit> Library, List<Fit> Torch)>();
        foreach (var kind in kinds)
        {
            var data = Path.Combine(folder, kind.Data);
            if (written.Add(kind.Data)) Console.WriteLine(WriteData(o, kind.Data, data));
            Console.WriteLine($"## {kind.Name}: {kind.Describe(o)}; load average {StudentThreadsBenchmark.LoadAverage()}");
            var library = new List<Fit>();
            var torch = new List<Fit>();
            for (int r = 0; r < o.Repeats; r++)
            {
                var pair = new (string Name, Func<Fit> Run)[]
                {
                    ("library", () => LibraryFit(o, kind, data)),
                    ("PyTorch", () => TorchFit(o, kind, data, script, environment)),
                };
                if (r % 2 == 1) Array.Reverse(pair);
                foreach (var (name, run) in pair)
                {
                    var fit = run();
                    (name == "library" ? library : torch).Add(fit);
                    Console.WriteLine($"  run {r + 1} {name,-8} epoch {fit.EpochSeconds,7:F3} s wall, {fit.EpochCpuSeconds,7:F3} s CPU (timed epochs: {string.Join(", ", fit.Epochs.Skip(1).Select(e => e.ToString("F3", CultureInfo.InvariantCulture)))}; " +
                                      $"warm-up {fit.Epochs[0]:F3}), {fit.Extra}");
                }
            }
            summary.Add((kind, library, torch));
            Console.WriteLine();
        }

        Console.WriteLine($"## Summary (epoch seconds: median over the runs of each run's median timed epoch; ratios: median over the {o.Repeats} back-to-back pairs of library ÷ PyTorch)");
        Console.WriteLine();
        Console.WriteLine("| student | library epoch (s) | PyTorch epoch (s) | library rows/s | PyTorch rows/s | library ÷ PyTorch, wall (pairs) | target ≤ 0.8× | library ÷ PyTorch, process CPU (pairs) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | --- | --- | --- |");
        foreach (var (kind, library, torch) in summary)
        {
            var ratios = library.Zip(torch, (l, t) => l.EpochSeconds / t.EpochSeconds).ToList();
            var cpuRatios = library.Zip(torch, (l, t) => l.EpochCpuSeconds / t.EpochCpuSeconds).ToList();
            double ratio = Median(ratios), lib = Median(library.Select(f => f.EpochSeconds)), pt = Median(torch.Select(f => f.EpochSeconds));
            Console.WriteLine(FormattableString.Invariant(
                $"| {kind.Describe(o)} | {lib:F3} | {pt:F3} | {o.Rows / lib:N0} | {o.Rows / pt:N0} | **{ratio:F2}×** ({string.Join(", ", ratios.Select(x => x.ToString("F2", CultureInfo.InvariantCulture)))}) | {(ratio <= 0.8 ? "met" : "not met")} | {Median(cpuRatios):F2}× ({string.Join(", ", cpuRatios.Select(x => x.ToString("F2", CultureInfo.InvariantCulture)))}) |"));
        }
    }

    /// <summary>One fit's epoch wall times (the first is the warm-up), the process CPU seconds of its timed epochs, and a note on what else it measured.</summary>
    private sealed record Fit(double[] Epochs, double[] CpuSeconds, string Extra)
    {
        public double EpochSeconds => Median(Epochs.Skip(1));

        public double EpochCpuSeconds => Median(CpuSeconds);
    }

    private static Fit LibraryFit(BenchmarkOptions o, Kind kind, string data)
    {
        var args = new List<string> { "--speed-fit", kind.Name, "--speed-data", data, "--speed-epochs", Invariant(o.SpeedEpochs), "--student-batch", Invariant(o.StudentBatch),
            "--threads", Invariant(Threads(o)) };
        if (o.HiddenGiven) args.AddRange(["--hidden", string.Join(",", o.Hidden)]);
        var lines = ChildProcess.Run(args);
        var epochLines = lines.Where(l => l.StartsWith("epoch ", StringComparison.Ordinal)).Select(l => l.Split(' ')).ToArray();
        var epochs = epochLines.Select(e => Parse(e[2])).ToArray();
        var cpu = epochLines.Skip(1).Select(e => Parse(e[4])).ToArray();
        var fit = lines.Single(l => l.StartsWith("fit ", StringComparison.Ordinal)).Split(' ');
        var studentTimes = epochLines.Skip(1).Select(e => Parse(e[3])).ToArray();
        return new Fit(epochs, cpu, FormattableString.Invariant(
            $"of it in the loop's StudentTime {Median(studentTimes):F3} s; whole Fit {Parse(fit[1]):F1} s of which {Parse(fit[1]) - epochs.Sum():F1} s outside the epochs (reading the IDataView, setup); last epoch loss {fit[2]}, train accuracy {fit[3]}; {string.Join(' ', lines.Where(l => l.StartsWith("threads", StringComparison.Ordinal)))}; {lines.Single(l => l.StartsWith("weights ", StringComparison.Ordinal)).Split(' ')[..2].Aggregate((a, b) => a + " " + b)}"));
    }

    private static Fit TorchFit(BenchmarkOptions o, Kind kind, string data, string script, Dictionary<string, string> environment)
    {
        var args = new List<string> { script, "--data", data, "--epochs", Invariant(o.SpeedEpochs + 1), "--batch", Invariant(o.StudentBatch), "--threads", Invariant(Threads(o)),
            "--lr", Invariant(LearningRate), "--temperature", Invariant(Temperature), "--alpha", Invariant(Alpha), "--seed", "1" };
        args.AddRange(kind.PythonModel(o));
        var lines = ChildProcess.Run(args, environment, o.Python);
        var epochLines = lines.Where(l => l.StartsWith("epoch ", StringComparison.Ordinal)).Select(l => l.Split(' ')).ToArray();
        var load = lines.Single(l => l.StartsWith("load ", StringComparison.Ordinal)).Split(' ')[1];
        var info = lines.Single(l => l.StartsWith("info ", StringComparison.Ordinal))["info ".Length..];
        return new Fit(epochLines.Select(e => Parse(e[2])).ToArray(), epochLines.Skip(1).Select(e => Parse(e[3])).ToArray(),
            FormattableString.Invariant($"loading the .npy files {Parse(load):F1} s; last epoch loss {Parse(epochLines[^1][4]):F4}; {info}"));
    }

    /// <summary>The child side: one library fit over the rows in <paramref name="data"/>, printing its epoch times.</summary>
    public static void RunChild(BenchmarkOptions o, string kindName, string data)
    {
        var kind = Kinds.Single(k => k.Name == kindName);
        var ml = new MLContext(seed: 1);
        string threadLine = "";
        ml.Log += (_, e) => { if (e.Message.Contains("TorchSharp thread", StringComparison.Ordinal)) threadLine = e.Message; };
        var view = LoadView(ml, data);
        var epochs = new List<EpochProgress>();
        var cpuAtEpochEnd = new List<double>();
        var process = Process.GetCurrentProcess();
        void EpochEnded(EpochProgress p)
        {
            process.Refresh();
            cpuAtEpochEnd.Add(process.TotalProcessorTime.TotalSeconds);
            epochs.Add(p);
        }
        var options = new StudentOptions
        {
            TeacherColumnName = "TeacherLogits", Epochs = o.SpeedEpochs + 1, MinimumSteps = 0, BatchSize = o.StudentBatch, Seed = 1,
            Loss = DistillationLoss.Hinton(Temperature, Alpha), Optimizer = StudentOptimizer.Adam, LearningRate = LearningRate, WeightDecay = 0,
            Schedule = LearningRateSchedule.Constant, NumberOfThreads = Threads(o), Progress = EpochEnded,
        };
        kind.Configure(o, options);
        var watch = Stopwatch.StartNew();
        var model = ml.MulticlassClassification.Trainers.Student(options).Fit(view);
        double seconds = watch.Elapsed.TotalSeconds;
        // An epoch's CPU time runs from the previous epoch's end (the warm-up epoch has none and is not counted).
        for (int i = 0; i < epochs.Count; i++)
            Console.WriteLine(FormattableString.Invariant(
                $"{ChildProcess.ResultPrefix}epoch {epochs[i].Epoch} {epochs[i].Elapsed.TotalSeconds} {epochs[i].StudentTime.TotalSeconds} {(i == 0 ? double.NaN : cpuAtEpochEnd[i] - cpuAtEpochEnd[i - 1])}"));
        Console.WriteLine(FormattableString.Invariant($"{ChildProcess.ResultPrefix}fit {seconds} {epochs[^1].Loss:F4} {epochs[^1].TrainAccuracy:F4}"));
        Console.WriteLine($"{ChildProcess.ResultPrefix}threads: {threadLine.ReplaceLineEndings(" ")}");
        Console.WriteLine($"{ChildProcess.ResultPrefix}weights {WeightsHash(model.Network)} losses {string.Join(",", epochs.Select(e => e.Loss.ToString("R", CultureInfo.InvariantCulture)))}");
    }

    /// <summary>SHA-256 (first 16 hex digits) of the trained dense layers' weights and biases: equal across library versions when training is bit-identical.</summary>
    private static string WeightsHash(StudentNetwork network)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var layer in network.Layers)
        {
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(layer.Weights.AsSpan()));
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(layer.Bias.AsSpan()));
        }
        return Convert.ToHexString(sha.GetHashAndReset())[..16];
    }

    /// <summary>
    /// Writes the rows once: <c>features.npy</c> (float32 [rows, width]), <c>labels.npy</c> (int64 [rows]) and
    /// <c>teacher.npy</c> (float32 [rows, 10]). Images: the Fashion-MNIST training images (repeated when fewer than
    /// --rows), pixels / 255, their labels, and as teacher logits a fixed seeded linear map of the pixels (the speed of
    /// a step does not depend on what the teacher says).
    /// </summary>
    private static string WriteData(BenchmarkOptions o, string dataKind, string folder)
    {
        Directory.CreateDirectory(folder);
        if (dataKind == "tokens") return WriteTokens(o, folder);
        if (dataKind != "images") throw new ArgumentOutOfRangeException(nameof(dataKind), dataKind, "Unknown benchmark data.");
        string dir = o.DataDirectory;
        bool full = File.Exists(Path.Combine(dir, "train-images-idx3-ubyte.gz"));
        var source = FashionMnist.Load(full ? dir : Path.Combine(AppContext.BaseDirectory, "QuickstartData"), "train");
        const int width = 784;
        var features = new float[(long)o.Rows * width];
        var labels = new long[o.Rows];
        for (int i = 0; i < o.Rows; i++)
        {
            var row = source[i % source.Count];
            row.Features.CopyTo(features, (long)i * width);
            labels[i] = Array.IndexOf(FashionMnist.ClassNames, row.Label);
        }
        var rng = new Random(7);
        var map = new float[width * Classes];
        for (int i = 0; i < map.Length; i++) map[i] = (float)((rng.NextDouble() * 2 - 1) * 0.2);
        var teacher = new float[(long)o.Rows * Classes];
        for (int i = 0; i < o.Rows; i++)
            for (int c = 0; c < Classes; c++)
            {
                float sum = 0;
                for (int j = 0; j < width; j++) sum += features[(long)i * width + j] * map[j * Classes + c];
                teacher[(long)i * Classes + c] = sum;
            }
        NpyFile.Write<float>(Path.Combine(folder, "features.npy"), features, o.Rows, width);
        NpyFile.Write<long>(Path.Combine(folder, "labels.npy"), labels, o.Rows);
        NpyFile.Write<float>(Path.Combine(folder, "teacher.npy"), teacher, o.Rows, Classes);
        return $"data: {o.Rows} Fashion-MNIST training images from {(full ? dir : "the quickstart's subset (apt-get install dataset-fashion-mnist for the full set)")}, " +
               $"teacher logits a seeded linear map of the pixels, written to {folder}";
    }

    /// <summary>
    /// Token rows for the text students: per row 8 to 64 ids drawn from a Zipf-like law over 1..19,999 (id k with
    /// probability ∝ 1/k, as word frequencies roughly are), padded with 0 to 64, stored as floats (the library's own
    /// representation of ids); labels uniform over 10 classes; teacher logits the mean of a fixed random 10-vector per id.
    /// Only the shapes and the id distribution matter for speed.
    /// </summary>
    private static string WriteTokens(BenchmarkOptions o, string folder)
    {
        var rng = new Random(11);
        var cumulative = new double[Vocabulary];
        for (int k = 1; k < Vocabulary; k++) cumulative[k] = cumulative[k - 1] + 1.0 / k;
        var perId = new float[Vocabulary * Classes];
        for (int i = 0; i < perId.Length; i++) perId[i] = (float)(rng.NextDouble() * 4 - 2);
        var features = new float[(long)o.Rows * MaxTokens];
        var labels = new long[o.Rows];
        var teacher = new float[(long)o.Rows * Classes];
        for (int r = 0; r < o.Rows; r++)
        {
            int length = rng.Next(8, MaxTokens + 1);
            for (int t = 0; t < length; t++)
            {
                int id = Array.BinarySearch(cumulative, rng.NextDouble() * cumulative[^1]);
                id = Math.Clamp(id < 0 ? ~id : id, 1, Vocabulary - 1);
                features[(long)r * MaxTokens + t] = id;
                for (int c = 0; c < Classes; c++) teacher[(long)r * Classes + c] += perId[id * Classes + c] / length;
            }
            labels[r] = rng.Next(Classes);
        }
        NpyFile.Write<float>(Path.Combine(folder, "features.npy"), features, o.Rows, MaxTokens);
        NpyFile.Write<long>(Path.Combine(folder, "labels.npy"), labels, o.Rows);
        NpyFile.Write<float>(Path.Combine(folder, "teacher.npy"), teacher, o.Rows, Classes);
        return $"data: {o.Rows} generated token rows (8–{MaxTokens} Zipf-distributed ids of {Vocabulary - 1}, padded with 0), written to {folder}";
    }

    /// <summary>The .npy rows as an <c>IDataView</c>, as an application holding arrays would build it: one object per row, read lazily.</summary>
    private static IDataView LoadView(MLContext ml, string folder)
    {
        var (features, shape) = NpyFile.Read<float>(Path.Combine(folder, "features.npy"));
        var (labels, _) = NpyFile.Read<long>(Path.Combine(folder, "labels.npy"));
        var (teacher, _) = NpyFile.Read<float>(Path.Combine(folder, "teacher.npy"));
        int rows = shape[0], width = shape[1];
        var schema = SchemaDefinition.Create(typeof(SpeedRow));
        schema[nameof(SpeedRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        schema[nameof(SpeedRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), Classes);
        schema[nameof(SpeedRow.TeacherLogits)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Classes);
        IEnumerable<SpeedRow> Rows()
        {
            for (int i = 0; i < rows; i++)
                yield return new SpeedRow
                {
                    Features = features.AsSpan(i * width, width).ToArray(), Label = (uint)(labels[i] + 1),
                    TeacherLogits = teacher.AsSpan(i * Classes, Classes).ToArray(),
                };
        }
        return ml.Data.LoadFromEnumerable(Rows(), schema);
    }

    private sealed class SpeedRow
    {
        public float[] Features { get; set; } = [];
        public uint Label { get; set; }
        public float[] TeacherLogits { get; set; } = [];
    }

    /// <summary>--pytorch-script, or tools/bench_pytorch_students.py in the repository that holds the working directory or the benchmark.</summary>
    private static string FindScript(BenchmarkOptions o)
    {
        if (o.PytorchScript is { } given)
            return File.Exists(given) ? Path.GetFullPath(given) : throw new FileNotFoundException($"--pytorch-script: '{given}' does not exist.", given);
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tools", "bench_pytorch_students.py");
                if (File.Exists(candidate)) return candidate;
            }
        throw new FileNotFoundException("tools/bench_pytorch_students.py was not found above the working directory or the benchmark; run from the repository or pass --pytorch-script PATH.");
    }

    private static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static double Parse(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    private static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        if (s.Length == 0) return double.NaN;
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
