using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace MLNet.Distillation.Benchmarks;

/// <summary>
/// NumPy's .npy format (version 1.0, little-endian, C order) for float32 and int64 arrays: the data the speed benchmark
/// writes once and both the library's fit and the PyTorch script read.
/// </summary>
internal static partial class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0];

    public static void Write<T>(string path, ReadOnlySpan<T> values, params int[] shape) where T : unmanaged
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != values.Length) throw new ArgumentException($"{path}: shape ({string.Join(", ", shape)}) holds {count} values, not {values.Length}.");
        string header = $"{{'descr': '{Descr<T>()}', 'fortran_order': False, 'shape': ({string.Join(", ", shape)}{(shape.Length == 1 ? "," : "")}), }}";
        int unpadded = Magic.Length + 2 + header.Length + 1;
        header += new string(' ', (64 - unpadded % 64) % 64) + "\n";
        var temporary = path + ".tmp";
        using (var file = File.Create(temporary))
        {
            file.Write(Magic);
            Span<byte> length = [(byte)(header.Length & 0xFF), (byte)(header.Length >> 8)];
            file.Write(length);
            file.Write(Encoding.ASCII.GetBytes(header));
            file.Write(MemoryMarshal.AsBytes(values));
        }
        File.Move(temporary, path, overwrite: true);
    }

    public static (T[] Values, int[] Shape) Read<T>(string path) where T : unmanaged
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic.AsSpan(0, 6)) || bytes[6] != 1)
            throw new InvalidDataException($"'{path}' is not a version 1 .npy file.");
        int headerLength = bytes[8] | (bytes[9] << 8);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        if (!header.Contains($"'descr': '{Descr<T>()}'", StringComparison.Ordinal) || !header.Contains("'fortran_order': False", StringComparison.Ordinal))
            throw new InvalidDataException($"'{path}' holds '{header.Trim()}', not a C-order {Descr<T>()} array.");
        var shape = ShapePattern().Match(header).Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var values = MemoryMarshal.Cast<byte, T>(bytes.AsSpan(10 + headerLength)).ToArray();
        if (values.Length != shape.Aggregate(1L, (a, b) => a * b)) throw new InvalidDataException($"'{path}' is truncated: {values.Length} values for shape ({string.Join(", ", shape)}).");
        return (values, shape);
    }

    private static string Descr<T>() => typeof(T) == typeof(float) ? "<f4" : typeof(T) == typeof(long) ? "<i8"
        : throw new NotSupportedException($"NpyFile handles float and long, not {typeof(T).Name}.");

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
