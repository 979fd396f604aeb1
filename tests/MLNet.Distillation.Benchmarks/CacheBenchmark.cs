using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Teachers;

namespace MLNet.Distillation.Benchmarks;

/// <summary>
/// The soft-label cache's price and payoff: for each storage setting, bytes per row, how far the served soft labels are
/// from the teacher's (max |Δp|, KL at T = 1 and T = 4, top-1 agreement), and rows/s reading the cache vs running the teacher.
/// </summary>
internal static class CacheBenchmark
{
    private static readonly (string Name, SoftLabelPrecision Precision, int? TopK)[] Settings =
    [
        ("float32", SoftLabelPrecision.Float32, null),
        ("float16", SoftLabelPrecision.Float16, null),
        ("float32, top 5", SoftLabelPrecision.Float32, 5),
        ("float32, top 3", SoftLabelPrecision.Float32, 3),
        ("float16, top 3", SoftLabelPrecision.Float16, 3),
        ("float32, top 1", SoftLabelPrecision.Float32, 1),
    ];

    public static void Run(BenchmarkTeacher teacher, BenchmarkData data, BenchmarkOptions options, string workFolder)
    {
        var ml = new MLContext(seed: 1);
        var source = ml.Data.LoadFromEnumerable(data.Rows);
        Console.WriteLine($"## Soft-label cache, {teacher.Name} teacher, {data.Count} rows");
        Console.WriteLine();
        using var direct = Fit(ml, source, teacher, options, null, SoftLabelPrecision.Float32, null);
        Read(direct, source);
        var watch = Stopwatch.StartNew();
        var reference = Read(direct, source);
        double teacherRate = data.Count / watch.Elapsed.TotalSeconds;
        Console.WriteLine($"teacher pass (Distill, no cache): {teacherRate:N0} rows/s");
        Console.WriteLine();
        Console.WriteLine("| storage | bytes/row on disk | write rows/s | read rows/s | max \\|Δp\\| | mean KL, T=1 | mean KL, T=4 | top-1 agreement |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, precision, topK) in Settings)
        {
            var path = Path.Combine(workFolder, $"cache-{teacher.Name}-{precision}-{topK}.idv");
            using var cached = Fit(ml, source, teacher, options, path, precision, topK);
            watch.Restart();
            Read(cached, source);
            double writeRate = data.Count / watch.Elapsed.TotalSeconds;
            watch.Restart();
            var served = Read(cached, source);
            double readRate = data.Count / watch.Elapsed.TotalSeconds;
            var kind = cached.OutputKinds[0];
            double maxDp = 0, kl1 = 0, kl4 = 0;
            int agree = 0;
            for (int r = 0; r < served.Length; r++)
            {
                var p = Softmax(reference[r], direct.OutputKinds[0], 1);
                var q = Softmax(served[r], kind, 1);
                for (int k = 0; k < p.Length; k++) maxDp = Math.Max(maxDp, Math.Abs(p[k] - q[k]));
                kl1 += Kl(p, q);
                kl4 += Kl(Softmax(reference[r], direct.OutputKinds[0], 4), Softmax(served[r], kind, 4));
                if (ArgMax(p) == ArgMax(q)) agree++;
            }
            Console.WriteLine($"| {name} | {new FileInfo(path).Length / (double)data.Count:N1} | {writeRate:N0} | {readRate:N0} | {maxDp:0.0e+0} | {kl1 / served.Length:0.0e+0} | " +
                $"{kl4 / served.Length:0.0e+0} | {agree / (double)served.Length:P2} |");
        }
        Console.WriteLine();
    }

    private static DistillTransformer Fit(MLContext ml, IDataView source, BenchmarkTeacher teacher, BenchmarkOptions options, string? path,
        SoftLabelPrecision precision, int? topK) => ml.Transforms.Distill(new DistillOptions
        {
            TeacherModelPath = teacher.ModelPath, InputColumnName = "Features", OutputColumns = { [teacher.OutputName] = "Teacher" }, BatchSize = 256,
            IntraOpNumThreads = options.IntraOpThreads, CachePath = path, CachePrecision = precision, CacheTopK = topK,
        }).Fit(source);

    private static float[][] Read(DistillTransformer transformer, IDataView source)
    {
        var output = transformer.Transform(source);
        var column = output.Schema["Teacher"];
        var rows = new List<float[]>();
        using var cursor = output.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> v = default;
        while (cursor.MoveNext())
        {
            getter(ref v);
            rows.Add(v.DenseValues().ToArray());
        }
        return rows.ToArray();
    }

    private static double[] Softmax(float[] values, TeacherOutputKind kind, double temperature)
    {
        var z = values.Select(v => (kind == TeacherOutputKind.Probabilities ? Math.Log(Math.Max(v, 1e-30)) : v) / temperature).ToArray();
        double max = z.Max();
        var e = z.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    private static double Kl(double[] p, double[] q) => p.Select((v, k) => v > 0 ? v * Math.Log(v / Math.Max(q[k], 1e-300)) : 0).Sum();

    private static int ArgMax(double[] v) => Array.IndexOf(v, v.Max());
}
