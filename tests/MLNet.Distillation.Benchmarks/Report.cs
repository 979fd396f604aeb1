using System.Globalization;

namespace MLNet.Distillation.Benchmarks;

/// <summary>Prints the measurements as Markdown tables (pasteable into docs/performance.md).</summary>
internal static class Report
{
    public static void PrintTeacher(TeacherResult r)
    {
        Console.WriteLine($"| {r.Teacher.Name} | batch | median rows/s | min – max | runs | vs raw ORT | CPU µs/row |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var m in new[] { r.Raw, r.RawConcurrent, r.RawWithCopy, r.Distill, r.ApplyOnnx, r.Upstream })
            Console.WriteLine($"| {m.Method} | {m.BatchSize?.ToString(CultureInfo.InvariantCulture) ?? "1"} | {m.Median:N0} | {m.Min:N0} – {m.Max:N0} | {m.Runs} | {m.Median / r.Raw.Median:0.00}× | {m.CpuMicrosPerRow:0.00} |");
        Console.WriteLine($"\nDistill ÷ raw ORT, median of {r.Raw.Runs} back-to-back pairs: {r.PairedRatio:0.00}×");
    }

    public static void PrintSummary(IReadOnlyList<TeacherResult> results)
    {
        Console.WriteLine("| teacher | raw ORT rows/s (batch) | Distill rows/s (batch) | Distill ÷ raw (paired median) | Distill ÷ raw, single-thread calls at once | Distill ÷ raw with row copy | ApplyOnnxModel rows/s | Distill ÷ ApplyOnnxModel | CPU µs/row raw / Distill |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
            Console.WriteLine($"| {r.Teacher.Name} | {r.Raw.Median:N0} ({r.Raw.BatchSize}) | {r.Distill.Median:N0} ({r.Distill.BatchSize}) | **{r.PairedRatio:0.00}×** | " +
                $"{r.Distill.Median / r.RawConcurrent.Median:0.00}× | {r.Distill.Median / r.RawWithCopy.Median:0.00}× | {r.ApplyOnnx.Median:N0} | {r.Distill.Median / r.ApplyOnnx.Median:0.0}× | {r.Raw.CpuMicrosPerRow:0.00} / {r.Distill.CpuMicrosPerRow:0.00} |");
    }
}
