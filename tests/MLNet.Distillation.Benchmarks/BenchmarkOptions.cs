using System.Globalization;

namespace MLNet.Distillation.Benchmarks;

/// <summary>Command-line settings of the benchmark.</summary>
internal sealed class BenchmarkOptions
{
    public string DataDirectory { get; private set; } = "/usr/share/datasets/fashion-mnist";
    public int Rows { get; private set; } = 60_000;
    public int ApplyOnnxRows { get; private set; } = 10_000;
    public int Repeats { get; private set; } = 5;
    public int[] BatchSizes { get; private set; } = [64, 128, 256, 512, 1024];
    public int? IntraOpThreads { get; private set; }
    public int? GpuDeviceId { get; private set; }
    public string[] Teachers { get; private set; } = ["mlp", "cnn"];
    public bool Profile { get; private set; }
    public bool Cache { get; private set; }
    /// <summary>Distill spends the thread budget on concurrent single-thread batches (its default) or on ONNX Runtime's pool, one batch at a time.</summary>
    public bool DistillUsesPool { get; private set; }

    public static BenchmarkOptions? Parse(string[] args)
    {
        var o = new BenchmarkOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--data": o.DataDirectory = Next(); break;
                case "--rows": o.Rows = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--apply-onnx-rows": o.ApplyOnnxRows = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--repeats": o.Repeats = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--batch-sizes": o.BatchSizes = Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--threads": o.IntraOpThreads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--gpu": o.GpuDeviceId = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--teachers": o.Teachers = Next().Split(',').Select(t => t.Trim().ToLowerInvariant()).ToArray(); break;
                case "--profile": o.Profile = true; break;
                case "--cache": o.Cache = true; break;
                case "--distill-threads":
                    o.DistillUsesPool = Next() switch
                    {
                        "batches" => false,
                        "pool" => true,
                        var v => throw new ArgumentException($"--distill-threads takes batches or pool, not '{v}'."),
                    };
                    break;
                case "-h" or "--help":
                    Console.WriteLine("""
                        Teacher-pass throughput: mlContext.Transforms.Distill vs raw batched InferenceSession.Run vs ApplyOnnxModel.

                          --data DIR            Fashion-MNIST idx .gz folder (default /usr/share/datasets/fashion-mnist:
                                                apt-get install dataset-fashion-mnist); falls back to the quickstart subset
                          --rows N              rows per timed pass (default 60000; rows repeat when the data has fewer)
                          --apply-onnx-rows N   rows per ApplyOnnxModel pass (default 10000; it is row-at-a-time and slow)
                          --repeats N           timed passes per method at its best batch size; the median is reported (default 5)
                          --batch-sizes a,b,c   batch sizes swept for raw ORT and Distill (default 64,128,256,512,1024)
                          --threads N           thread budget of every method (default: one per core): intra-op threads for raw
                                                ORT and ApplyOnnxModel; N concurrent single-thread batches for Distill
                          --distill-threads M   batches (default: Distill's default, as above) or pool (Distill scores one
                                                batch at a time on ONNX Runtime's pool of N intra-op threads)
                          --gpu ID              run every method on CUDA device ID (default: CPU)
                          --teachers mlp,cnn    which teachers (default both)
                          --profile             instead of the comparison: time each stage of a Distill pass (read, ONNX Runtime, serve)
                          --cache               instead of the comparison: soft-label cache size, speed and accuracy per storage setting
                        """);
                    return null;
                default: throw new ArgumentException($"Unknown option '{args[i]}' (see --help).");
            }
        }
        if (o.Rows < 1 || o.Repeats < 1 || o.ApplyOnnxRows < 1 || o.BatchSizes.Length == 0 || o.BatchSizes.Any(b => b < 1))
            throw new ArgumentException("--rows, --repeats, --apply-onnx-rows and --batch-sizes must be positive.");
        return o;
    }

    public override string ToString()
        => $"rows {Rows}, ApplyOnnxModel rows {ApplyOnnxRows}, repeats {Repeats}, batch sizes [{string.Join(", ", BatchSizes)}], " +
           $"threads {(IntraOpThreads?.ToString(CultureInfo.InvariantCulture) ?? "ORT default")} (Distill: {(DistillUsesPool ? "one batch at a time on ONNX Runtime's pool" : "concurrent single-thread batches")}), " +
           $"{(GpuDeviceId is int g ? $"CUDA device {g}" : "CPU")}";
}
