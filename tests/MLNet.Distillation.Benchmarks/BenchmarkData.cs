using MLNet.Distillation.Samples;

namespace MLNet.Distillation.Benchmarks;

/// <summary>
/// The benchmark's rows, held twice: as <see cref="FashionRow"/> objects for the ML.NET paths (loaded with
/// <c>LoadFromEnumerable</c>, as an application would) and as one contiguous float array for the raw ONNX Runtime loop,
/// which therefore pays no data-access cost at all.
/// </summary>
internal sealed class BenchmarkData
{
    private BenchmarkData(List<FashionRow> rows, float[] contiguous, string description)
    {
        Rows = rows;
        Contiguous = contiguous;
        Description = description;
    }

    public const int RowSize = 784;

    public List<FashionRow> Rows { get; }

    public float[] Contiguous { get; }

    public string Description { get; }

    public int Count => Rows.Count;

    public static BenchmarkData Load(BenchmarkOptions options)
    {
        string dir = options.DataDirectory;
        List<FashionRow> source;
        string what;
        if (File.Exists(Path.Combine(dir, "train-images-idx3-ubyte.gz")))
        {
            source = FashionMnist.Load(dir, "train");
            source.AddRange(FashionMnist.Load(dir, "t10k"));
            what = $"Fashion-MNIST from {dir} ({source.Count} images)";
        }
        else
        {
            var subset = Path.Combine(AppContext.BaseDirectory, "QuickstartData");
            source = FashionMnist.Load(subset, "train");
            source.AddRange(FashionMnist.Load(subset, "t10k"));
            what = $"the quickstart's Fashion-MNIST subset ({source.Count} images; for the full set: apt-get install dataset-fashion-mnist)";
            Console.WriteLine($"note: {dir} has no Fashion-MNIST; using {what}.");
        }

        var rows = new List<FashionRow>(options.Rows);
        for (int i = 0; i < options.Rows; i++) rows.Add(source[i % source.Count]);
        var contiguous = new float[(long)options.Rows * RowSize];
        for (int i = 0; i < rows.Count; i++) rows[i].Features.CopyTo(contiguous, (long)i * RowSize);
        return new BenchmarkData(rows, contiguous, $"{options.Rows} rows of 784 floats, drawn in order from {what}");
    }
}
