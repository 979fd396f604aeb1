using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Benchmarks;

/// <summary>
/// Peak memory of streaming training (<see cref="StudentOptions.Streaming"/>) as the rows grow, against the in-memory fit
/// on the first size as the baseline, in one run. Each fit runs in a fresh process, measured as <see cref="MemoryBenchmark"/>
/// does (a warm-up fit, a forced collection, the kernel's peak-RSS mark reset, peak RSS above that baseline), on
/// generated rows (784 features, 10 classes, a teacher column; made on demand by the data view, never stored). A
/// streamed fit is one pass ("one epoch"): the first pass counts the rows and computes the statistics, the epoch reads
/// them again through the shuffle buffer; the time of each is reported, and the epoch's rows per second.
/// </summary>
internal static class StreamingBenchmark
{
    private const double Mi = 1024 * 1024;

    public static void Run(BenchmarkOptions o)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("The streaming benchmark reads /proc/self/status; it runs on Linux only.");
        Console.WriteLine($"student: 784-{string.Join("-", o.Hidden)}-10, batch {o.StudentBatch}, 1 epoch, the default loss, NumberOfThreads default; " +
            $"streaming: shuffle buffer {o.ShuffleBuffer:N0} rows{(o.StreamMaxSteps is long s ? $", MaxSteps {s:N0}" : "")}{(o.StreamConcurrent ? "; the fits ran concurrently" : "")}");
        Console.WriteLine("data per row: (784 features + 10 teacher outputs + 1 label) × 4 bytes = 3,180 bytes");
        Console.WriteLine();
        Console.WriteLine("| rows | training | data (MiB) | baseline RSS (MiB) | peak above baseline (MiB) | read / first pass (s) | epoch (s) | rows trained | epoch rows/s | fit (s) |");
        Console.WriteLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var runs = (o.InMemoryBaselineRows is int baseline ? new[] { (baseline, "in memory") } : []).Concat(o.StreamRows.Select(r => (r, "streamed"))).ToArray();
        // Concurrent fits share the cores (their times include each other), not their memory: each is its own process.
        var results = o.StreamConcurrent
            ? Task.WhenAll(runs.Select(r => Task.Run(() => Fit(o, r.Item1, r.Item2)))).GetAwaiter().GetResult()
            : runs.Select(r => Fit(o, r.Item1, r.Item2)).ToArray();
        for (int i = 0; i < runs.Length; i++)
        {
            var (rows, mode) = runs[i];
            var r = results[i];
            double rss = r[0], peak = r[1], firstPass = r[2], epoch = r[3], fit = r[4], trained = r[5];
            double data = (double)rows * (GeneratedRow.FeatureCount + GeneratedRow.Classes + 1) * 4;
            Console.WriteLine(FormattableString.Invariant(
                $"| {rows:N0} | {mode} | {data / Mi:N0} | {rss / Mi:N0} | {(peak - rss) / Mi:N0} | {firstPass:F1} | {epoch:F1} | {trained:N0} | {trained / epoch:N0} | {fit:F1} |"));
        }
    }

    /// <summary>One fit in a fresh process: "baseline peak first-pass epoch fit trained" (bytes, bytes, s, s, s, rows).</summary>
    private static double[] Fit(BenchmarkOptions o, int rows, string mode)
    {
        var args = new List<string> { "--stream-fit", rows.ToString(CultureInfo.InvariantCulture), "--stream-mode", mode == "streamed" ? "streamed" : "memory",
            "--hidden", string.Join(",", o.Hidden), "--student-batch", o.StudentBatch.ToString(CultureInfo.InvariantCulture),
            "--shuffle-buffer", o.ShuffleBuffer.ToString(CultureInfo.InvariantCulture) };
        if (o.StreamMaxSteps is long steps) args.AddRange(["--max-steps", steps.ToString(CultureInfo.InvariantCulture)]);
        return ChildProcess.Run(args).Single().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>
    /// The child side: one fit, then a <see cref="ChildProcess.ResultPrefix"/> line
    /// "baseline peak first-pass-seconds epoch-seconds fit-seconds rows-trained" (bytes, bytes, s, s, s, rows).
    /// </summary>
    public static void RunChild(BenchmarkOptions o, int rows, bool streamed)
    {
        var ml = new MLContext(seed: 1);
        StudentOptions Options() => new()
        {
            TeacherColumnName = "TeacherLogits", HiddenLayers = o.Hidden, BatchSize = o.StudentBatch, Epochs = 1, Seed = 1,
            Streaming = streamed ? new StreamingOptions { ShuffleBufferRows = o.ShuffleBuffer, MaxSteps = o.StreamMaxSteps } : null,
        };
        var classes = ml.Data.LoadFromEnumerable(GeneratedRows.ClassNames.Select(c => new ClassName { Value = c }));
        IEstimator<ITransformer> Pipeline()
            => ml.Transforms.Conversion.MapValueToKey("Label", keyData: classes).Append(ml.MulticlassClassification.Trainers.Student(Options()));

        Pipeline().Fit(ml.Data.LoadFromEnumerable<GeneratedRow>(new GeneratedRows(2_000)));
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        File.WriteAllText("/proc/self/clear_refs", "5");   // reset the peak RSS mark (VmHWM) to the current RSS
        long baseline = MemoryBenchmark.Status("VmRSS");

        // The first pass (or the in-memory read) ends when the trainer logs the thread rule it trains with.
        var watch = Stopwatch.StartNew();
        double firstPass = double.NaN;
        ml.Log += (_, e) =>
        {
            if (double.IsNaN(firstPass) && e.Source.StartsWith("Student", StringComparison.Ordinal) && e.Message.Contains("Using ", StringComparison.Ordinal))
                firstPass = watch.Elapsed.TotalSeconds;
        };
        Pipeline().Fit(ml.Data.LoadFromEnumerable<GeneratedRow>(new GeneratedRows(rows)));
        double fit = watch.Elapsed.TotalSeconds;
        long peak = MemoryBenchmark.Status("VmHWM");
        long steps = (rows + o.StudentBatch - 1) / o.StudentBatch;
        long trained = o.StreamMaxSteps is long budget && streamed && budget < steps ? budget * o.StudentBatch : rows;
        Console.WriteLine(FormattableString.Invariant($"{ChildProcess.ResultPrefix}{baseline} {peak} {firstPass} {fit - firstPass} {fit} {trained}"));
    }

    private sealed class ClassName
    {
        public string Value { get; set; } = "";
    }
}
