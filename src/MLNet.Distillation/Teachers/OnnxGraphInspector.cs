using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// Reads just enough of an ONNX file's protobuf (graph → nodes → op_type, outputs) to tell which operator produces a
/// graph output, without copying the weights. Used to detect teachers that end in Softmax or Sigmoid.
/// </summary>
internal static class OnnxGraphInspector
{
    /// <summary>
    /// What a teacher output holds, judged by the operator that produces it: probabilities when it is a <c>Softmax</c>
    /// (a classifier's class probabilities) or a <c>Sigmoid</c> (a binary classifier's probability of the positive class),
    /// logits otherwise.
    /// </summary>
    public static TeacherOutputKind KindOf(string modelPath, string outputName)
        => ProducerOpType(modelPath, outputName) is "Softmax" or "Sigmoid" ? TeacherOutputKind.Probabilities : TeacherOutputKind.Logits;

    /// <summary>Op type of the node that produces <paramref name="outputName"/>, or null when not found / unreadable.</summary>
    private static string? ProducerOpType(string modelPath, string outputName)
    {
        try
        {
            var bytes = File.ReadAllBytes(modelPath);
            string? found = null;
            ForEachField(bytes, 0, bytes.Length, (field, start, length) =>
            {
                if (field != 7) return;                                   // ModelProto.graph
                ForEachField(bytes, start, length, (gField, nStart, nLength) =>
                {
                    if (gField != 1) return;                              // GraphProto.node
                    string? op = null; bool producesOutput = false;
                    ForEachField(bytes, nStart, nLength, (nField, s, l) =>
                    {
                        if (nField == 4) op = System.Text.Encoding.UTF8.GetString(bytes, s, l);          // op_type
                        else if (nField == 2 && System.Text.Encoding.UTF8.GetString(bytes, s, l) == outputName) producesOutput = true;
                    });
                    if (producesOutput) found = op;
                });
            });
            return found;
        }
        catch (Exception e) when (e is IOException or IndexOutOfRangeException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Calls <paramref name="onLengthDelimited"/> for every length-delimited field of a message; skips the rest.</summary>
    private static void ForEachField(byte[] b, int start, int length, Action<int, int, int> onLengthDelimited)
    {
        int pos = start, end = start + length;
        while (pos < end)
        {
            ulong tag = ReadVarint(b, ref pos);
            int field = (int)(tag >> 3), wire = (int)(tag & 7);
            switch (wire)
            {
                case 0: ReadVarint(b, ref pos); break;
                case 1: pos += 8; break;
                case 5: pos += 4; break;
                case 2:
                    int len = checked((int)ReadVarint(b, ref pos));
                    if (len < 0 || pos + len > end) throw new ArgumentException("Truncated protobuf field.");
                    onLengthDelimited(field, pos, len);
                    pos += len;
                    break;
                default: throw new ArgumentException($"Unsupported protobuf wire type {wire}.");
            }
        }
    }

    private static ulong ReadVarint(byte[] b, ref int pos)
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte x = b[pos++];
            result |= (ulong)(x & 0x7F) << shift;
            if ((x & 0x80) == 0) return result;
        }
        throw new ArgumentException("Malformed varint.");
    }
}
