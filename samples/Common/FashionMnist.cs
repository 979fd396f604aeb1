using System.IO.Compression;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Samples;

/// <summary>One Fashion-MNIST image: 784 pixels scaled to [0, 1] and its class name ("" when the row is unlabelled).</summary>
public sealed class FashionRow
{
    /// <summary>Pixels x/255, row-major 28×28.</summary>
    [VectorType(784)]
    public float[] Features { get; set; } = [];

    /// <summary>Class name, or "" for an unlabelled row.</summary>
    public string Label { get; set; } = "";
}

/// <summary>Reads Fashion-MNIST in its original gzip'ed idx format (the bundled subset or Debian's dataset-fashion-mnist).</summary>
public static class FashionMnist
{
    /// <summary>The ten classes in label order (0–9), which is also the teacher's output order.</summary>
    public static readonly string[] ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Where Debian's dataset-fashion-mnist package puts the full data set.</summary>
    public const string DebianDirectory = "/usr/share/datasets";

    /// <summary>Loads <c>{prefix}-images-idx3-ubyte.gz</c> and <c>{prefix}-labels-idx1-ubyte.gz</c> from a folder (prefix "train" or "t10k").</summary>
    public static List<FashionRow> Load(string directory, string prefix)
    {
        var images = ReadIdx(Path.Combine(directory, $"{prefix}-images-idx3-ubyte.gz"), 0x803, out int n, out int rowSize);
        var labels = ReadIdx(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte.gz"), 0x801, out int m, out _);
        if (n != m) throw new InvalidDataException($"{directory}: {n} images but {m} labels for '{prefix}'.");
        var rows = new List<FashionRow>(n);
        for (int i = 0; i < n; i++)
        {
            var f = new float[rowSize];
            for (int j = 0; j < rowSize; j++) f[j] = images[i * rowSize + j] / 255f;
            rows.Add(new FashionRow { Features = f, Label = ClassNames[labels[i]] });
        }
        return rows;
    }

    private static byte[] ReadIdx(string path, int magic, out int count, out int rowSize)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Fashion-MNIST file '{path}' was not found.", path);
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        var b = ms.ToArray();
        int ReadInt(int offset) => (b[offset] << 24) | (b[offset + 1] << 16) | (b[offset + 2] << 8) | b[offset + 3];
        if (ReadInt(0) != magic) throw new InvalidDataException($"'{path}' is not an idx file with magic 0x{magic:X}.");
        int dims = magic & 0xFF;
        count = ReadInt(4);
        rowSize = 1;
        for (int d = 1; d < dims; d++) rowSize *= ReadInt(4 + 4 * d);
        int header = 4 + 4 * dims;
        if (b.Length != header + count * rowSize) throw new InvalidDataException($"'{path}' is truncated.");
        return b[header..];
    }
}
