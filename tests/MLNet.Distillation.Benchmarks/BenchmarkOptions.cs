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
    /// <summary>Mode: reading speed of the same generated rows from ML.NET's binary format and from Parquet.</summary>
    public bool Parquet { get; private set; }
    /// <summary>Distill spends the thread budget on concurrent single-thread batches (its default) or on ONNX Runtime's pool, one batch at a time.</summary>
    public bool DistillUsesPool { get; private set; }
    /// <summary>Mode: the quickstart student fit under TorchSharp thread settings, idle and loaded.</summary>
    public bool StudentThreads { get; private set; }
    public string[] ThreadSettings { get; private set; } = ["1", "2", "torch:default-spin", "auto"];
    public string[] Conditions { get; private set; } = ["idle", "loaded"];
    public int Epochs { get; private set; } = 30;
    public int[] Hidden { get; private set; } = [64];
    /// <summary>Whether --hidden was given (the speed mode's default student is the library's default, 128 wide).</summary>
    public bool HiddenGiven { get; private set; }
    public int StudentBatch { get; private set; } = 128;
    /// <summary>Child side of <see cref="StudentThreads"/>: one fit with this setting, reading this soft-label cache.</summary>
    public string? StudentFit { get; private set; }
    public string? SoftLabels { get; private set; }
    /// <summary>Mode: peak RSS of a student fit above the process baseline at several row counts.</summary>
    public bool Memory { get; private set; }
    public int[] MemoryRows { get; private set; } = [60_000, 240_000, 960_000];
    public string[] MemoryCounts { get; private set; } = ["known", "unknown"];
    public int MemoryEpochs { get; private set; } = 2;
    /// <summary>Child side of <see cref="Memory"/>: one fit on this many rows.</summary>
    public int? MemoryFit { get; private set; }
    /// <summary>Child side of <see cref="Memory"/>: print RSS twice a second and the trainer's log lines to stderr.</summary>
    public bool MemoryTrace { get; private set; }

    /// <summary>Mode: student epoch time of the library against the same student in PyTorch (tools/bench_pytorch_students.py).</summary>
    public bool StudentSpeed { get; private set; }
    public string[] SpeedKinds { get; private set; } = StudentSpeedBenchmark.KindNames.ToArray();
    public int SpeedEpochs { get; private set; } = 3;
    public string Python { get; private set; } = "/usr/bin/python3";
    public string? PytorchScript { get; private set; }
    /// <summary>Child side of <see cref="StudentSpeed"/>: one library fit of this student kind over the .npy files in <see cref="SpeedData"/>.</summary>
    public string? SpeedFit { get; private set; }
    public string? SpeedData { get; private set; }

    /// <summary>Mode: peak RSS of streamed fits at several row counts, with an in-memory fit as the baseline.</summary>
    public bool Streaming { get; private set; }
    public int[] StreamRows { get; private set; } = [1_000_000, 4_000_000, 10_000_000];
    /// <summary>Rows of the in-memory fit the streamed ones are compared with (null: none).</summary>
    public int? InMemoryBaselineRows { get; private set; } = 1_000_000;
    public int ShuffleBuffer { get; private set; } = 65_536;
    public long? StreamMaxSteps { get; private set; }
    public bool StreamConcurrent { get; private set; }
    /// <summary>Child side of <see cref="Streaming"/>: one fit on this many rows, streamed or in memory.</summary>
    public int? StreamFit { get; private set; }
    public bool StreamFitStreamed { get; private set; }

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
                case "--parquet": o.Parquet = true; break;
                case "--student-threads": o.StudentThreads = true; break;
                case "--settings": o.ThreadSettings = Next().Split(',').Select(t => t.Trim()).ToArray(); break;
                case "--conditions": o.Conditions = Next().Split(',').Select(t => t.Trim().ToLowerInvariant()).ToArray(); break;
                case "--epochs": o.Epochs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--hidden": o.Hidden = Next().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); o.HiddenGiven = true; break;
                case "--student-speed": o.StudentSpeed = true; break;
                case "--students": o.SpeedKinds = Next().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(t => t.Trim().ToLowerInvariant()).ToArray(); break;
                case "--speed-epochs": o.SpeedEpochs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--python": o.Python = Next(); break;
                case "--pytorch-script": o.PytorchScript = Next(); break;
                case "--speed-fit": o.SpeedFit = Next(); break;
                case "--speed-data": o.SpeedData = Next(); break;
                case "--student-batch": o.StudentBatch = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--student-fit": o.StudentFit = Next(); break;
                case "--soft-labels": o.SoftLabels = Next(); break;
                case "--memory": o.Memory = true; break;
                case "--memory-rows": o.MemoryRows = Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--memory-count": o.MemoryCounts = Next().Split(',').Select(s => s.Trim().ToLowerInvariant()).ToArray(); break;
                case "--memory-epochs": o.MemoryEpochs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--memory-fit": o.MemoryFit = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--memory-trace": o.MemoryTrace = true; break;
                case "--streaming": o.Streaming = true; break;
                case "--stream-rows": o.StreamRows = Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--in-memory-baseline":
                    int baselineRows = int.Parse(Next(), CultureInfo.InvariantCulture);
                    o.InMemoryBaselineRows = baselineRows > 0 ? baselineRows : null;
                    break;
                case "--shuffle-buffer": o.ShuffleBuffer = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--max-steps": o.StreamMaxSteps = long.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--concurrent": o.StreamConcurrent = true; break;
                case "--stream-fit": o.StreamFit = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--stream-mode":
                    o.StreamFitStreamed = Next() switch
                    {
                        "streamed" => true,
                        "memory" => false,
                        var v => throw new ArgumentException($"--stream-mode takes streamed or memory, not '{v}'."),
                    };
                    break;
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
                          --parquet             instead of the comparison: reading speed of --rows generated rows (784 float
                                                features, label, 10 logits) from ML.NET's binary format and from Parquet,
                                                --repeats reads each, taking turns (use --rows 100000 --repeats 3)
                          --student-threads     instead of the comparison: the quickstart's student fit (784-64-10, 30 epochs) timed
                                                per TorchSharp thread setting, idle and under load, each fit in a fresh process;
                                                --repeats N fits per setting, taking turns (use 3)
                            --settings LIST     thread settings (default 1,2,torch:default-spin,auto): n = NumberOfThreads n,
                                                torch = TorchSharp's default, auto = NumberOfThreads null (the library's rule);
                                                OpenMP waits as the library sets it (PASSIVE) unless a suffix says
                                                :default-spin (GNU OpenMP's own default: spin, then sleep), :active or :passive
                            --conditions LIST   idle and/or loaded (default both; loaded pins one `yes > /dev/null` to each core)
                            --epochs N, --hidden a,b, --student-batch N   the student (default 30, 64, 128)
                          --memory              instead of the comparison: peak RSS of a student fit above the process baseline,
                                                each size in a fresh process, against 1.25 × rows × (784 + 10 + 1) × 4 bytes
                            --memory-rows LIST  generated rows per fit (default 60000,240000,960000)
                            --memory-count LIST known and/or unknown: whether the data view knows its row count (default both)
                            --memory-epochs N   epochs per fit (default 2); --hidden and --student-batch as above
                            (one fit in this process, RSS over time on stderr: --memory-fit N --memory-count known --memory-trace)
                          --streaming           instead of the comparison: peak RSS above the process baseline of one-epoch fits
                                                streamed (StudentOptions.Streaming) from generated rows, each in a fresh process,
                                                with an in-memory fit as the baseline; first-pass and epoch time, epoch rows/s
                            --stream-rows LIST  generated rows per streamed fit (default 1000000,4000000,10000000)
                            --in-memory-baseline N  rows of the in-memory fit (default 1000000; 0: none)
                            --shuffle-buffer N  StreamingOptions.ShuffleBufferRows (default 65536)
                            --max-steps N       StreamingOptions.MaxSteps (default none: the whole epoch)
                            --concurrent        run the fits at once, each in its own process (their times then
                                                include each other; their memory does not)
                            --hidden a,b, --student-batch N   the student (default 64, 128)
                          --student-speed       instead of the comparison: student epoch time, the library's fit from an IDataView
                                                against the same student in PyTorch (tools/bench_pytorch_students.py) on the same
                                                rows (written once as .npy), same batch, Adam, Hinton loss, float32 and threads;
                                                --repeats N pairs per student, alternating which goes first (use 3)
                            --students LIST     student kinds (default all: mlp,cnn,text-bag,text-cnn)
                            --rows N            training rows (default 60000: Fashion-MNIST's training set)
                            --speed-epochs N    timed epochs per fit after one warm-up epoch (default 3)
                            --threads N         threads of both (default: one per core)
                            --student-batch N, --hidden a,b   batch (default 128) and MLP hidden layers (default 128)
                            --python PATH       the Python with Debian's torch (default /usr/bin/python3)
                            --pytorch-script P  the PyTorch side (default: tools/bench_pytorch_students.py of this repository)
                        """);
                    return null;
                default: throw new ArgumentException($"Unknown option '{args[i]}' (see --help).");
            }
        }
        if (o.Conditions.Any(c => c is not ("idle" or "loaded"))) throw new ArgumentException("--conditions takes idle and/or loaded.");
        if (o.MemoryRows.Any(r => r < 2_000) || o.MemoryEpochs < 1 || o.MemoryCounts.Any(c => c is not ("known" or "unknown")))
            throw new ArgumentException("--memory-rows must be at least 2000, --memory-epochs positive, --memory-count known and/or unknown.");
        if (o.SpeedEpochs < 1) throw new ArgumentException("--speed-epochs must be positive.");
        if (o.Epochs < 1 || o.StudentBatch < 1 || o.Hidden.Any(h => h < 1)) throw new ArgumentException("--epochs, --hidden and --student-batch must be positive.");
        foreach (var setting in o.ThreadSettings)
        {
            var parts = setting.Split(':');
            if (parts.Length > 2 || (parts.Length == 2 && parts[1] is not ("passive" or "active" or "default-spin")) || (parts[0] is not ("torch" or "auto") && !(int.TryParse(parts[0], CultureInfo.InvariantCulture, out int n) && n > 0)))
                throw new ArgumentException($"--settings: '{setting}' is not a thread setting; use a positive count, torch or auto, optionally followed by :passive, :active or :default-spin.");
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
