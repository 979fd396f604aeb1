using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;

namespace MLNet.Distillation.Export;

/// <summary>
/// Checks a saved model zip before ML.NET loads it: that it is a complete zip, and that every student graph in it (an
/// ONNX model written by this library, stored by ML.NET's <c>OnnxTransformer</c> as a zip entry named <c>OnnxModel</c>)
/// still has the SHA-256 recorded in its metadata when it was built (<see cref="OnnxGraphBuilder.RecordGraphHash"/>).
/// ML.NET itself loads a graph with altered weights without complaint, and then scores garbage.
/// </summary>
internal static class SavedStudentCheck
{
    private const string OnnxEntryName = "OnnxModel";
    private const string Producer = "MLNet.Distillation";

    /// <summary>Throws <see cref="InvalidDataException"/> naming <paramref name="path"/> when the file is damaged; returns the number of student graphs checked.</summary>
    /// <param name="path">The model zip.</param>
    /// <param name="warn">Receives a warning for a student graph saved without a checksum (by an earlier version).</param>
    public static int Verify(string path, Action<string> warn)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Model file '{path}' was not found (looked at '{Path.GetFullPath(path)}').", path);
        int checkedGraphs = 0, students = 0;
        (string Entry, string Actual, string Recorded)? mismatch = null;
        try
        {
            using var zip = ZipFile.OpenRead(path);
            foreach (var entry in zip.Entries.Where(e => e.Name == OnnxEntryName))
            {
                var (producer, graph, metadata) = ReadModel(ReadOnnxBytes(entry));
                if (producer != Producer) continue;
                students++;
                if (!metadata.TryGetValue(OnnxGraphBuilder.GraphHashKey, out var recorded))
                {
                    warn($"Model file '{path}': the student graph in '{entry.FullName}' was saved without a checksum (by an earlier version of MLNet.Distillation), " +
                        "so damage to its weights cannot be detected. Save the model again to add one.");
                    continue;
                }
                var actual = Convert.ToHexStringLower(SHA256.HashData(graph));
                if (actual != recorded) mismatch ??= (entry.FullName, actual, recorded);
                else checkedGraphs++;
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException && e is not FileNotFoundException)
        {
            // IOException covers EndOfStreamException and protobuf's InvalidProtocolBufferException.
            throw new InvalidDataException($"Model file '{path}' cannot be read as a model zip ({e.Message}): it is truncated or damaged. " +
                "Copy it again from where mlContext.Model.Save wrote it, or save the model again.", e);
        }
        if (mismatch is { } m)
            throw new InvalidDataException($"Model file '{path}' is damaged: the student graph in '{m.Entry}' no longer matches the checksum recorded " +
                $"when it was saved (SHA-256 {m.Actual[..16]}…, recorded {m.Recorded[..Math.Min(16, m.Recorded.Length)]}…), so its weights changed. " +
                "Copy the file again from where it was saved, or save the model again.");
        if (students == 0)
            throw new InvalidDataException($"Model file '{path}' holds no MLNet.Distillation student (no ONNX graph written by this library). " +
                "Load it with mlContext.Model.Load.");
        return checkedGraphs;
    }

    /// <summary>ML.NET stores the graph as a byte array: a 32-bit length, then the bytes.</summary>
    internal static byte[] ReadOnnxBytes(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var reader = new BinaryReader(stream);
        int length = reader.ReadInt32();
        if (length < 0 || length > entry.Length - 4) throw new InvalidDataException($"zip entry '{entry.FullName}' declares {length} bytes of ONNX in {entry.Length - 4}");
        var bytes = reader.ReadBytes(length);
        if (bytes.Length != length) throw new EndOfStreamException($"zip entry '{entry.FullName}' ends after {bytes.Length} of {length} bytes");
        return bytes;
    }

    /// <summary>The producer name, the serialised graph and the metadata of an ONNX ModelProto (fields 2, 7 and 14 of onnx.proto).</summary>
    internal static (string Producer, byte[] Graph, Dictionary<string, string> Metadata) ReadModel(byte[] onnx)
    {
        var input = new CodedInputStream(onnx);
        string producer = "";
        byte[] graph = [];
        var metadata = new Dictionary<string, string>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 2 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited: producer = input.ReadString(); break;
                case 7 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited: graph = input.ReadBytes().ToByteArray(); break;
                case 14 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                    var (key, value) = ReadEntry(input.ReadBytes());
                    metadata[key] = value;
                    break;
                default: input.SkipLastField(); break;
            }
        }
        return (producer, graph, metadata);
    }

    private static (string Key, string Value) ReadEntry(ByteString bytes)
    {
        var input = new CodedInputStream(bytes.ToByteArray());
        string key = "", value = "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: key = Encoding.UTF8.GetString(input.ReadBytes().Span); break;
                case 2: value = Encoding.UTF8.GetString(input.ReadBytes().Span); break;
                default: input.SkipLastField(); break;
            }
        }
        return (key, value);
    }
}
