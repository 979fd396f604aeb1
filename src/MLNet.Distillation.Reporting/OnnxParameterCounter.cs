namespace MLNet.Distillation.Reporting;

/// <summary>
/// Counts the values stored in an ONNX model's initializers (weights, biases and other constants of the main graph).
/// It walks the protobuf fields ModelProto.graph → GraphProto.initializer → TensorProto.dims on a seekable stream and
/// seeks past everything else, so the tensor data is never read: any model size works, and tensors whose data lives in
/// external files are counted by their shape.
/// </summary>
internal static class OnnxParameterCounter
{
    private const int ModelGraphField = 7;        // ModelProto.graph
    private const int GraphInitializerField = 5;  // GraphProto.initializer
    private const int TensorDimsField = 1;        // TensorProto.dims (repeated int64, packed or not)

    /// <summary>Number of values in the initializers of the ONNX file at <paramref name="path"/>.</summary>
    public static long Count(string path)
    {
        using var stream = File.OpenRead(path);
        return Count(stream, $"'{path}'");
    }

    /// <summary>Number of values in the initializers of a serialised ONNX model.</summary>
    public static long Count(byte[] model)
    {
        using var stream = new MemoryStream(model, writable: false);
        return Count(stream, "The ONNX bytes");
    }

    private static long Count(Stream s, string what)
    {
        try
        {
            long total = 0;
            ForEachMessage(s, s.Length, ModelGraphField, graphEnd =>
                ForEachMessage(s, graphEnd, GraphInitializerField, tensorEnd => total += Elements(s, tensorEnd)));
            return total;
        }
        catch (Exception e) when (e is EndOfStreamException or OverflowException or InvalidDataException)
        {
            throw new InvalidDataException($"{what} is not a readable ONNX model ({e.Message}).", e);
        }
    }

    /// <summary>Calls <paramref name="read"/> (with the message's end offset) at the start of each embedded message numbered <paramref name="field"/> before <paramref name="end"/>; skips every other field.</summary>
    private static void ForEachMessage(Stream s, long end, int field, Action<long> read)
    {
        while (s.Position < end)
        {
            var (number, wire) = Tag(s);
            if (number == field && wire == 2)
            {
                long length = (long)Varint(s);
                long messageEnd = s.Position + length;
                if (messageEnd > end) throw new InvalidDataException("Truncated message.");
                read(messageEnd);
                s.Position = messageEnd;
            }
            else Skip(s, wire);
        }
    }

    /// <summary>Product of a TensorProto's dims (1 for a scalar).</summary>
    private static long Elements(Stream s, long end)
    {
        long product = 1;
        while (s.Position < end)
        {
            var (number, wire) = Tag(s);
            if (number == TensorDimsField && wire == 2)
            {
                long packedLength = (long)Varint(s);
                long packedEnd = s.Position + packedLength;
                while (s.Position < packedEnd) product = checked(product * (long)Varint(s));
            }
            else if (number == TensorDimsField && wire == 0) product = checked(product * (long)Varint(s));
            else Skip(s, wire);
        }
        return product;
    }

    private static (int Number, int Wire) Tag(Stream s)
    {
        ulong tag = Varint(s);
        return ((int)(tag >> 3), (int)(tag & 7));
    }

    private static void Skip(Stream s, int wire)
    {
        switch (wire)
        {
            case 0: Varint(s); break;
            case 1: s.Position += 8; break;
            case 2: { long length = (long)Varint(s); s.Position += length; break; }
            case 5: s.Position += 4; break;
            default: throw new InvalidDataException($"Unsupported protobuf wire type {wire}.");
        }
        if (s.Position > s.Length) throw new EndOfStreamException("Field runs past the end of the model.");
    }

    private static ulong Varint(Stream s)
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            int b = s.ReadByte();
            if (b < 0) throw new EndOfStreamException("The model ends inside a number.");
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new InvalidDataException("Malformed varint.");
    }
}
