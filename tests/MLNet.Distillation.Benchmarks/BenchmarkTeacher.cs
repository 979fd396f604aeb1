using MLNet.Distillation.Export;
using MLNet.Distillation.Students;

namespace MLNet.Distillation.Benchmarks;

/// <summary>A teacher under test: an ONNX file with one float input of 784 values per row and the output to read.</summary>
internal sealed record BenchmarkTeacher(string Name, string Description, string ModelPath, string InputName, string OutputName)
{
    public static IEnumerable<BenchmarkTeacher> Create(BenchmarkOptions options, string workFolder)
    {
        foreach (var name in options.Teachers)
        {
            yield return name switch
            {
                "mlp" => Mlp(workFolder),
                "cnn" => new BenchmarkTeacher("CNN", "quickstart Fashion-MNIST CNN (Conv 1→32→64, 3×3, pooling, FC 128; image [batch,1,28,28] → logits [batch,10])",
                    Path.Combine(AppContext.BaseDirectory, "QuickstartData", "fashion_cnn_teacher.onnx"), "image", "logits"),
                _ => throw new ArgumentException($"Unknown teacher '{name}'; use mlp and/or cnn."),
            };
        }
    }

    /// <summary>A 784-256-10 ReLU MLP with seeded random weights, written with the library's own ONNX exporter (cheap per row: the data path dominates).</summary>
    private static BenchmarkTeacher Mlp(string workFolder)
    {
        var rng = new Random(7);
        DenseLayer Layer(int inputs, int outputs)
        {
            float bound = 1f / MathF.Sqrt(inputs);
            var w = new float[inputs * outputs];
            for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() * 2 - 1) * bound;
            var b = new float[outputs];
            for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() * 2 - 1) * bound;
            return new DenseLayer(w, b, inputs, outputs);
        }
        var network = new StudentNetwork(784, [Layer(784, 256), Layer(256, 10)], StudentActivation.Relu, null, null);
        var path = Path.Combine(workFolder, "mlp_784_256_10.onnx");
        StudentOnnxExporter.Save(network, path);
        return new BenchmarkTeacher("MLP", "784-256-10 ReLU MLP (Gemm, Relu, Gemm; features [batch,784] → logits [batch,10])",
            path, StudentOnnxExporter.InputName, StudentOnnxExporter.LogitsOutput);
    }
}

/// <summary>A temporary folder removed on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("mlnet-distillation-bench-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
