using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Benchmarks;

/// <summary>
/// Reading speed of the same generated rows (784 float features, a text label, 10 teacher logits) from ML.NET's binary
/// format (<c>SaveAsBinary</c>/<c>LoadFromBinary</c>) and from Parquet (<c>SaveAsParquet</c>/<c>LoadFromParquet</c>):
/// each file written once, then read end to end through a cursor with every column's getter, taking turns, the median
/// of the repeats reported, as rows per second of wall time and as CPU time per pass (the process's, all threads: steadier
/// than wall time on a busy machine); also a pass that reads the label only (what a columnar file can skip).
/// </summary>
internal static class ParquetBenchmark
{
    public static void Run(BenchmarkOptions options, string folder)
    {
        var ml = new MLContext(seed: 1);
        var source = ml.Data.LoadFromEnumerable(new GeneratedRows(options.Rows));
        Console.WriteLine($"rows: {options.Rows} generated (784 float features, a text label, 10 float teacher logits), {options.Repeats} reads per format, taking turns");
        Console.WriteLine();

        var idv = Path.Combine(folder, "rows.idv");
        var parquet = Path.Combine(folder, "rows.parquet");
        var watch = Stopwatch.StartNew();
        using (var stream = File.Create(idv)) ml.Data.SaveAsBinary(source, stream);
        var idvWrite = watch.Elapsed;
        watch.Restart();
        ml.Data.SaveAsParquet(source, parquet);
        var parquetWrite = watch.Elapsed;

        var formats = new (string Name, string Path, Func<IDataView> Load, TimeSpan Write)[]
        {
            ("ML.NET binary IDV (LoadFromBinary)", idv, () => ml.Data.LoadFromBinary(idv), idvWrite),
            ("Parquet (LoadFromParquet)", parquet, () => ml.Data.LoadFromParquet(parquet), parquetWrite),
        };
        var all = formats.Select(_ => new List<double>()).ToArray();
        var allCpu = formats.Select(_ => new List<double>()).ToArray();
        var labelOnly = formats.Select(_ => new List<double>()).ToArray();
        for (int r = 0; r < options.Repeats; r++)
            for (int f = 0; f < formats.Length; f++)
            {
                int i = r % 2 == 0 ? f : formats.Length - 1 - f;   // alternate which format goes first
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                all[i].Add(Read(formats[i].Load(), all: true, options.Rows));
                allCpu[i].Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
                labelOnly[i].Add(Read(formats[i].Load(), all: false, options.Rows));
            }

        Console.WriteLine("| format | file size | write | read, all columns: rows/s (median; each pass) | CPU s per pass (median; each) | read, label only: rows/s (median; each) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        static string Each(List<double> v, string format) => string.Join(", ", v.Select(x => x.ToString(format)));
        for (int f = 0; f < formats.Length; f++)
            Console.WriteLine($"| {formats[f].Name} | {new FileInfo(formats[f].Path).Length / (1024.0 * 1024):N0} MiB | {formats[f].Write.TotalSeconds:N1} s | " +
                $"{Median(all[f]):N0} ({Each(all[f], "N0")}) | {Median(allCpu[f]):N1} ({Each(allCpu[f], "N1")}) | {Median(labelOnly[f]):N0} ({Each(labelOnly[f], "N0")}) |");
    }

    /// <summary>Rows per second of one pass that reads every row's columns (or the label only) into reused buffers.</summary>
    private static double Read(IDataView data, bool all, int expected)
    {
        var watch = Stopwatch.StartNew();
        var columns = all ? data.Schema.Where(c => !c.IsHidden).ToArray() : [data.Schema["Label"]];
        using var cursor = data.GetRowCursor(columns);
        var features = all ? cursor.GetGetter<VBuffer<float>>(data.Schema["Features"]) : null;
        var logits = all ? cursor.GetGetter<VBuffer<float>>(data.Schema["TeacherLogits"]) : null;
        var label = cursor.GetGetter<ReadOnlyMemory<char>>(data.Schema["Label"]);
        VBuffer<float> f = default, t = default;
        ReadOnlyMemory<char> l = default;
        long rows = 0;
        double check = 0;
        while (cursor.MoveNext())
        {
            label(ref l);
            if (features is not null)
            {
                features(ref f);
                logits!(ref t);
                check += f.GetValues()[0] + t.GetValues()[0];
            }
            rows++;
        }
        if (rows != expected || double.IsNaN(check)) throw new InvalidOperationException($"read {rows} rows, expected {expected}");
        return rows / watch.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
