using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms.Onnx;
using MLNet.Distillation.Teachers;

namespace MLNet.Distillation.Benchmarks;

/// <summary>Median rows/s of one method at one batch size, with the spread of the repeats.</summary>
/// <param name="CpuMicrosPerRow">Median process CPU time per row (all threads), in µs: the work a method does, whatever else runs on the machine.</param>
internal sealed record Measurement(string Method, int? BatchSize, double Median, double Min, double Max, int Runs, double CpuMicrosPerRow);

/// <summary>Everything measured for one teacher.</summary>
/// <param name="PairedRatio">Median over the repeats of Distill ÷ raw ORT, each pair run back to back.</param>
internal sealed record TeacherResult(BenchmarkTeacher Teacher, Measurement Raw, Measurement RawConcurrent, Measurement RawWithCopy, Measurement Distill, Measurement ApplyOnnx, Measurement Upstream,
    double PairedRatio, IReadOnlyList<(int Batch, double Raw, double Distill)> Sweep);

/// <summary>
/// Measures one teacher: a batch-size sweep (one pass each, raw and Distill interleaved), then <see cref="BenchmarkOptions.Repeats"/>
/// interleaved passes of every method at its best batch size. Every method uses the same model file and thread settings.
/// </summary>
internal sealed class TeacherBenchmark(BenchmarkTeacher teacher, BenchmarkData data, BenchmarkOptions options)
{
    private readonly MLContext _ml = new(seed: 1);

    public TeacherResult Run()
    {
        Console.WriteLine($"## {teacher.Name}: {teacher.Description}");
        var source = _ml.Data.LoadFromEnumerable(data.Rows);
        // Raw ONNX Runtime gets its best setting of intra-op spinning (Distill's sessions never spin; see TeacherModel).
        using var rawQuiet = new RawOrtRunner(teacher, data, options, allowSpinning: false, options.IntraOpThreads);
        using var rawSpinning = new RawOrtRunner(teacher, data, options, allowSpinning: true, options.IntraOpThreads);
        using var rawSingle = new RawOrtRunner(teacher, data, options, allowSpinning: false, intraOpThreads: 1);
        int workers = options.IntraOpThreads ?? Environment.ProcessorCount;
        var distill = options.BatchSizes.ToDictionary(b => b, b => FitDistill(source, b));
        try
        {
            var applyData = _ml.Data.TakeRows(source, Math.Min(options.ApplyOnnxRows, data.Count));
            // ApplyOnnxModel maps data columns by the model's input names: copy Features to that name first (a negligible cost next to it).
            var renamedSource = _ml.Transforms.CopyColumns(teacher.InputName, "Features").Fit(applyData).Transform(applyData);
            var apply = _ml.Transforms.ApplyOnnxModel(new OnnxOptions
            {
                ModelFile = teacher.ModelPath, InputColumns = [teacher.InputName], OutputColumns = [teacher.OutputName],
                GpuDeviceId = options.GpuDeviceId, FallbackToCpu = false, IntraOpNumThreads = options.IntraOpThreads,
            }).Fit(renamedSource);
            int applyRows = (int)Math.Min(options.ApplyOnnxRows, data.Count);

            // Warm-up: JIT, ONNX Runtime arenas and thread pools.
            rawQuiet.Pass(options.BatchSizes[0]);
            rawSpinning.Pass(options.BatchSizes[0]);
            rawSingle.PassConcurrent(options.BatchSizes[0], workers);
            foreach (var (_, t) in distill) DistillPass(t, source);
            ApplyOnnxPass(apply, renamedSource);
            UpstreamPass(source);

            var sweep = new List<(int, double, double)>();
            var concurrentSweep = new List<(int Batch, double Rate)>();
            var rawConfigs = new List<(int Batch, RawOrtRunner Runner, double Rate)>();
            foreach (var b in options.BatchSizes)
            {
                double quiet = Rate(data.Count, () => rawQuiet.Pass(b));
                double d = Rate(data.Count, () => DistillPass(distill[b], source));
                double spinning = Rate(data.Count, () => rawSpinning.Pass(b));
                double concurrent = Rate(data.Count, () => rawSingle.PassConcurrent(b, workers));
                rawConfigs.Add((b, rawQuiet, quiet));
                rawConfigs.Add((b, rawSpinning, spinning));
                concurrentSweep.Add((b, concurrent));
                sweep.Add((b, Math.Max(quiet, spinning), d));
                Console.WriteLine($"  sweep batch {b,5}: raw ORT {quiet,10:N0} rows/s (spinning {spinning,10:N0}; {workers} single-thread calls at once {concurrent,10:N0})   Distill {d,10:N0} rows/s   ({d / Math.Max(quiet, spinning):P1})");
            }
            int bestConcurrent = concurrentSweep.MaxBy(c => c.Rate).Batch;
            var bestRawConfig = rawConfigs.MaxBy(c => c.Rate);
            var raw = bestRawConfig.Runner;
            int bestRaw = bestRawConfig.Batch, bestDistill = sweep.MaxBy(s => s.Item3).Item1;
            Console.WriteLine($"  best: raw ORT batch {bestRaw}{(raw == rawSpinning ? " with spinning" : "")}, Distill batch {bestDistill}");

            var rawRuns = new List<double>();
            var distillRuns = new List<double>();
            var ratios = new List<double>();
            var applyRuns = new List<double>();
            var upstreamRuns = new List<double>();
            var copyRuns = new List<double>();
            var concurrentRuns = new List<double>();
            var cpu = new Dictionary<string, List<double>> { ["raw"] = [], ["concurrent"] = [], ["copy"] = [], ["distill"] = [], ["apply"] = [], ["upstream"] = [] };
            double Timed(string method, int rows, Action pass)
            {
                var (rate, cpuPerRow) = RateAndCpu(rows, pass);
                cpu[method].Add(cpuPerRow);
                return rate;
            }
            for (int i = 0; i < options.Repeats; i++)
            {
                // Raw and Distill run back to back, in alternating order, so that both see the same background load; the
                // ratio of each pair is what the summary reports (median over the pairs).
                double r, d;
                if (i % 2 == 0)
                {
                    r = Timed("raw", data.Count, () => raw.Pass(bestRaw));
                    d = Timed("distill", data.Count, () => DistillPass(distill[bestDistill], source));
                }
                else
                {
                    d = Timed("distill", data.Count, () => DistillPass(distill[bestDistill], source));
                    r = Timed("raw", data.Count, () => raw.Pass(bestRaw));
                }
                rawRuns.Add(r);
                distillRuns.Add(d);
                ratios.Add(d / r);
                applyRuns.Add(Timed("apply", applyRows, () => ApplyOnnxPass(apply, renamedSource)));
                upstreamRuns.Add(Timed("upstream", data.Count, () => UpstreamPass(source)));
                copyRuns.Add(Timed("copy", data.Count, () => raw.PassCopyingRows(bestRaw)));
                concurrentRuns.Add(Timed("concurrent", data.Count, () => rawSingle.PassConcurrent(bestConcurrent, workers)));
                Console.WriteLine($"  repeat {i + 1,2}: raw ORT {r,10:N0}   Distill {d,10:N0} ({d / r:0.00}×)   ApplyOnnxModel {applyRuns[^1],8:N0}   upstream read only {upstreamRuns[^1],11:N0} rows/s");
            }
            var result = new TeacherResult(teacher,
                Summarise(raw == rawSpinning ? "raw InferenceSession.Run (spinning)" : "raw InferenceSession.Run", bestRaw, rawRuns, cpu["raw"]),
                Summarise($"raw InferenceSession.Run, {workers} single-thread calls at once", bestConcurrent, concurrentRuns, cpu["concurrent"]),
                Summarise("raw InferenceSession.Run, rows copied from float[]s", bestRaw, copyRuns, cpu["copy"]),
                Summarise("mlContext.Transforms.Distill", bestDistill, distillRuns, cpu["distill"]),
                Summarise("ApplyOnnxModel (row at a time)", null, applyRuns, cpu["apply"]),
                Summarise("upstream IDataView read only", null, upstreamRuns, cpu["upstream"]),
                Median(ratios), sweep);
            Console.WriteLine();
            Report.PrintTeacher(result);
            Console.WriteLine();
            return result;
        }
        finally
        {
            foreach (var t in distill.Values) t.Dispose();
        }
    }

    private DistillTransformer FitDistill(IDataView source, int batchSize) => _ml.Transforms.Distill(new DistillOptions
    {
        TeacherModelPath = teacher.ModelPath, InputColumnName = "Features", OutputColumns = { [teacher.OutputName] = "Teacher" }, BatchSize = batchSize,
        GpuDeviceId = options.GpuDeviceId, FallbackToCpu = false,
        // The same thread budget as raw ORT's intra-op threads, spent as Distill spends it by default (one batch per thread),
        // or with --distill-threads pool on ONNX Runtime's intra-op pool, one batch at a time.
        IntraOpNumThreads = options.DistillUsesPool ? options.IntraOpThreads ?? Environment.ProcessorCount : options.IntraOpThreads is null ? null : 1,
        ConcurrentBatches = options.DistillUsesPool ? 1 : options.IntraOpThreads,
    }).Fit(source);

    private static double Rate(int rows, Action pass)
    {
        var watch = Stopwatch.StartNew();
        pass();
        return rows / watch.Elapsed.TotalSeconds;
    }

    private static Measurement Summarise(string method, int? batch, List<double> runs, List<double> cpuPerRow)
    {
        var sorted = runs.Order().ToArray();
        return new Measurement(method, batch, Median(runs), sorted[0], sorted[^1], sorted.Length, Median(cpuPerRow));
    }

    /// <summary>Wall-clock rows/s of one pass, and the process CPU time it took per row (µs).</summary>
    private static (double RowsPerSecond, double CpuMicrosPerRow) RateAndCpu(int rows, Action pass)
    {
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        pass();
        double seconds = watch.Elapsed.TotalSeconds;
        var used = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu;
        return (rows / seconds, used.TotalMicroseconds / rows);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Reads the teacher column of every row, as a trainer would.</summary>
    private static float DistillPass(DistillTransformer transformer, IDataView source) => ReadColumn(transformer.Transform(source), "Teacher");

    private float ApplyOnnxPass(ITransformer apply, IDataView source) => ReadColumn(apply.Transform(source), teacher.OutputName);

    /// <summary>The cost of the data source alone: every row's feature vector read through a cursor.</summary>
    private static float UpstreamPass(IDataView source) => ReadColumn(source, "Features");

    /// <summary>Reads a float vector column of every row through one cursor; the sum keeps the JIT from skipping the work.</summary>
    private static float ReadColumn(IDataView data, string name)
    {
        var column = data.Schema[name];
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> value = default;
        float sink = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            sink += value.GetValues()[0];
        }
        return sink;
    }
}

/// <summary>
/// The ceiling: batched <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue})"/>
/// straight over one contiguous array of all rows (no per-row copy, no data pipeline), into preallocated outputs.
/// </summary>
internal sealed class RawOrtRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly BenchmarkData _data;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly long[] _rowShape;
    private readonly int _outputSize;
    private readonly Dictionary<int, float[]> _outputs = new();
    private readonly Dictionary<int, float[]> _inputs = new();

    /// <summary>A session with exactly the settings Distill's sessions get, except that spinning may be turned on.</summary>
    public RawOrtRunner(BenchmarkTeacher teacher, BenchmarkData data, BenchmarkOptions options, bool allowSpinning, int? intraOpThreads)
    {
        using var so = TeacherModel.CreateSessionOptions(options.GpuDeviceId, intraOpThreads, null, allowSpinning);
        _session = new InferenceSession(teacher.ModelPath, so);
        _data = data;
        _inputNames = [teacher.InputName];
        _outputNames = [teacher.OutputName];
        _rowShape = _session.InputMetadata[teacher.InputName].Dimensions.Skip(1).Select(d => (long)d).ToArray();
        _outputSize = _session.OutputMetadata[teacher.OutputName].Dimensions.Skip(1).Aggregate(1, (a, b) => a * b);
    }

    public float Pass(int batchSize)
    {
        if (!_outputs.TryGetValue(batchSize, out var output)) _outputs[batchSize] = output = new float[batchSize * _outputSize];
        using var fullOutput = OrtValue.CreateTensorValueFromMemory(output, [batchSize, _outputSize]);
        float sink = 0;
        for (int start = 0; start < _data.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, _data.Count - start);
            var memory = _data.Contiguous.AsMemory(start * BenchmarkData.RowSize, n * BenchmarkData.RowSize);
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, memory, [n, .. _rowShape]);
            if (n == batchSize)
                _session.Run(null, _inputNames, [input], _outputNames, [fullOutput]);
            else
            {
                using var partial = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, output.AsMemory(0, n * _outputSize), [n, _outputSize]);
                _session.Run(null, _inputNames, [input], _outputNames, [partial]);
            }
            sink += output[0];
        }
        return sink;
    }

    /// <summary>
    /// The ceiling for data parallelism: <paramref name="workers"/> threads call <c>Run</c> at once on the shared session,
    /// each on the next unclaimed batch of the contiguous array, into an output buffer of its own.
    /// </summary>
    public float PassConcurrent(int batchSize, int workers)
    {
        int next = -1, batches = (_data.Count + batchSize - 1) / batchSize;
        var sinks = new float[workers];
        var threads = Enumerable.Range(0, workers).Select(w => new Thread(() =>
        {
            var output = new float[batchSize * _outputSize];
            int b;
            while ((b = Interlocked.Increment(ref next)) < batches)
            {
                int start = b * batchSize, n = Math.Min(batchSize, _data.Count - start);
                using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _data.Contiguous.AsMemory(start * BenchmarkData.RowSize, n * BenchmarkData.RowSize), [n, .. _rowShape]);
                using var result = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, output.AsMemory(0, n * _outputSize), [n, _outputSize]);
                _session.Run(null, _inputNames, [input], _outputNames, [result]);
                sinks[w] += output[0];
            }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        return sinks.Sum();
    }

    /// <summary>
    /// What an application that holds its rows as arrays writes around raw ONNX Runtime: copy each row of the batch into a
    /// reused input buffer, then run. For reference: it pays the copy Distill pays, not the data pipeline.
    /// </summary>
    public float PassCopyingRows(int batchSize)
    {
        if (!_outputs.TryGetValue(batchSize, out var output)) _outputs[batchSize] = output = new float[batchSize * _outputSize];
        if (!_inputs.TryGetValue(batchSize, out var input)) _inputs[batchSize] = input = new float[batchSize * BenchmarkData.RowSize];
        using var fullInput = OrtValue.CreateTensorValueFromMemory(input, [batchSize, .. _rowShape]);
        using var fullOutput = OrtValue.CreateTensorValueFromMemory(output, [batchSize, _outputSize]);
        float sink = 0;
        for (int start = 0; start < _data.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, _data.Count - start);
            for (int i = 0; i < n; i++) _data.Rows[start + i].Features.CopyTo(input, i * BenchmarkData.RowSize);
            if (n == batchSize)
                _session.Run(null, _inputNames, [fullInput], _outputNames, [fullOutput]);
            else
            {
                using var partialIn = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(0, n * BenchmarkData.RowSize), [n, .. _rowShape]);
                using var partialOut = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, output.AsMemory(0, n * _outputSize), [n, _outputSize]);
                _session.Run(null, _inputNames, [partialIn], _outputNames, [partialOut]);
            }
            sink += output[0];
        }
        return sink;
    }

    public void Dispose() => _session.Dispose();
}
