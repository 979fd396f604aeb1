using System.IO.Compression;
using Google.Protobuf;

namespace MLNet.Distillation.Cli;

/// <summary>
/// The student's ONNX graph inside a model zip written by <c>mlContext.Model.Save</c>: ML.NET's <c>OnnxTransformer</c> keeps
/// it as a zip entry named <c>OnnxModel</c> (a 32-bit length, then the bytes); the student's is the one whose ONNX producer
/// is MLNet.Distillation.
/// </summary>
public static class SavedStudentGraph
{
    /// <summary>The student graph's bytes.</summary>
    /// <exception cref="InputException">The file is not a model zip, or holds no student graph.</exception>
    public static byte[] Read(string modelPath)
    {
        try
        {
            using var zip = ZipFile.OpenRead(modelPath);
            foreach (var entry in zip.Entries.Where(e => e.Name == "OnnxModel"))
            {
                using var reader = new BinaryReader(entry.Open());
                int length = reader.ReadInt32();
                if (length < 0 || length > entry.Length - 4) continue;
                var bytes = reader.ReadBytes(length);
                if (bytes.Length == length && Producer(bytes) == "MLNet.Distillation") return bytes;
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new InputException($"Model file '{modelPath}' is not a readable model zip ({e.Message}); give the student.zip that 'train' wrote.", e);
        }
        throw new InputException($"Model file '{modelPath}' holds no MLNet.Distillation student graph; give the student.zip that 'train' or 'auto' wrote.");
    }

    private static string Producer(byte[] onnx)
    {
        var input = new CodedInputStream(onnx);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 2 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited) return input.ReadString();
            input.SkipLastField();
        }
        return "";
    }
}
