using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Benchmarks;

/// <summary>
/// Peak memory of a student fit against the rows it holds. Each size runs in a fresh process: a warm-up fit on 2,000 rows
/// loads libtorch and compiles the code paths, the GC collects, the kernel's peak-RSS mark is reset
/// (<c>/proc/self/clear_refs</c>), and the fit on N generated rows (784 features, 10 classes, a teacher column; made on
/// demand, never stored) reports its peak RSS above that baseline. The bound of issue 11 is
/// 1.25 × rows × (features + teacher outputs + 1) × 4 bytes.
/// </summary>
internal static class MemoryBenchmark
{
    private const int Features = GeneratedRow.FeatureCount, Classes = GeneratedRow.Classes;
    private const double Bound = 1.25;

    public static void Run(BenchmarkOptions o)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("The memory benchmark reads /proc/self/status; it runs on Linux only.");
        Console.WriteLine($"student: 784-{string.Join("-", o.Hidden)}-10, batch {o.StudentBatch}, {o.MemoryEpochs} epochs, validation fraction 0.1, the default loss, NumberOfThreads default");
        Console.WriteLine("data per row: (784 features + 10 teacher outputs + 1 label) × 4 bytes = 3,180 bytes");
        Console.WriteLine();
        Console.WriteLine("| rows | row count known | data (MiB) | bound 1.25× (MiB) | baseline RSS (MiB) | peak above baseline (MiB) | peak ÷ data | within bound | fit (s) |");
        Console.WriteLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
        foreach (var count in o.MemoryCounts)
            foreach (var rows in o.MemoryRows)
            {
                var args = new[] { "--memory-fit", rows.ToString(CultureInfo.InvariantCulture), "--memory-count", count,
                    "--memory-epochs", o.MemoryEpochs.ToString(CultureInfo.InvariantCulture), "--hidden", string.Join(",", o.Hidden),
                    "--student-batch", o.StudentBatch.ToString(CultureInfo.InvariantCulture) };
                var r = ChildProcess.Run(args).Single().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                double baseline = r[0], peak = r[1], seconds = r[2];
                double data = (double)rows * (Features + Classes + 1) * 4;
                double above = peak - baseline;
                Console.WriteLine(FormattableString.Invariant(
                    $"| {rows:N0} | {count} | {data / Mi:N0} | {Bound * data / Mi:N0} | {baseline / Mi:N0} | {above / Mi:N0} | {above / data:F2}× | {(above <= Bound * data ? "yes" : "**no**")} | {seconds:F1} |"));
            }
    }

    /// <summary>The child side: one fit, then a <see cref="ChildProcess.ResultPrefix"/> line "baseline peak seconds" (bytes, bytes, s).</summary>
    public static void RunChild(BenchmarkOptions o, int rows, string count)
    {
        var ml = new MLContext(seed: 1);
        StudentOptions Options(int epochs) => new()
        {
            TeacherColumnName = "TeacherLogits", HiddenLayers = o.Hidden, BatchSize = o.StudentBatch, Epochs = epochs, Seed = 1, ValidationFraction = 0.1,
        };
        IDataView Data(int n)
        {
            var list = new GeneratedRows(n);
            return count == "known" ? ml.Data.LoadFromEnumerable<GeneratedRow>(list) : ml.Data.LoadFromEnumerable(Stream(list));
        }

        var classes = ml.Data.LoadFromEnumerable(GeneratedRows.ClassNames.Select(c => new ClassName { Value = c }));
        IEstimator<ITransformer> Pipeline(int epochs)
            => ml.Transforms.Conversion.MapValueToKey("Label", keyData: classes).Append(ml.MulticlassClassification.Trainers.Student(Options(epochs)));

        Pipeline(1).Fit(Data(2_000));
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        File.WriteAllText("/proc/self/clear_refs", "5");   // reset the peak RSS mark (VmHWM) to the current RSS
        long baseline = Status("VmRSS");

        var watch = Stopwatch.StartNew();
        using var trace = o.MemoryTrace ? new Timer(_ => Console.Error.WriteLine($"{watch.Elapsed.TotalSeconds,7:F1} s  RSS {(Status("VmRSS") - baseline) / Mi,7:N0} MiB above baseline"), null, 0, 500) : null;
        if (o.MemoryTrace) ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info && e.Source.StartsWith("Student", StringComparison.Ordinal)) Console.Error.WriteLine($"{watch.Elapsed.TotalSeconds,7:F1} s  {e.Message}"); };
        Pipeline(o.MemoryEpochs).Fit(Data(rows));
        double seconds = watch.Elapsed.TotalSeconds;
        long peak = Status("VmHWM");
        Console.WriteLine(FormattableString.Invariant($"{ChildProcess.ResultPrefix}{baseline} {peak} {seconds}"));
    }

    private const double Mi = 1024 * 1024;

    private sealed class ClassName
    {
        public string Value { get; set; } = "";
    }

    /// <summary>Rows one at a time, as a plain enumerable: ML.NET then cannot know the row count.</summary>
    private static IEnumerable<GeneratedRow> Stream(GeneratedRows rows)
    {
        foreach (var row in rows) yield return row;
    }

    /// <summary>A <c>/proc/self/status</c> field in bytes.</summary>
    internal static long Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException($"/proc/self/status has no {field} line.");
    }
}
