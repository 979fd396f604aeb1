using Microsoft.ML.Data;

namespace MLNet.Distillation.Export;

/// <summary>How the student graph's input is declared when it is not the default (float [batch, InputSize]): element type and row length (null: variable).</summary>
internal sealed record OnnxInput(OnnxElementType Type, long? Length);

/// <summary>
/// The first nodes of a token-id body's graph (<see cref="Students.ITokenIdBody"/>): whatever the input's element type
/// (int64 in the standalone graph; the token column's own type — uint32 keys, int32, float, … — in the ML.NET scoring
/// chain) and length (fixed, or variable for a variable-length key column), they give int64 ids [batch, MaxTokens]:
/// cast to int64, padded on the right with 0 and cut to MaxTokens (each only when the declared length needs it), and
/// every id outside [0, vocabulary) replaced by the padding id 0 — as the training set reads ids the training rows never
/// had — so that no id can make <c>Gather</c> fail. Also the padding mask, float [batch, MaxTokens] (1 at a token).
/// </summary>
internal static class TokenIdsOnnx
{
    /// <summary>The standalone graph's input: int64 token ids [batch, MaxTokens].</summary>
    public const OnnxElementType StandaloneType = OnnxElementType.Int64;

    /// <summary>
    /// The input of the ML.NET scoring chain's graph for a token column of type <paramref name="type"/>: its raw element
    /// type — ML.NET's <c>OnnxTransformer</c> feeds a key column's raw values to a graph input of that integer type — and
    /// its length, null for a variable-length vector (the one unknown dimension it allows besides the batch).
    /// </summary>
    public static OnnxInput ColumnInput(string column, DataViewType type)
    {
        var vector = type as VectorDataViewType
            ?? throw new ArgumentException($"Student feature column '{column}' has type {type}; a text student reads a vector of token ids.");
        var raw = vector.ItemType.RawType;
        OnnxElementType element =
            raw == typeof(uint) ? OnnxElementType.UInt32 : raw == typeof(int) ? OnnxElementType.Int32 : raw == typeof(long) ? OnnxElementType.Int64 :
            raw == typeof(ulong) ? OnnxElementType.UInt64 : raw == typeof(float) ? OnnxElementType.Float : raw == typeof(double) ? OnnxElementType.Double :
            raw == typeof(byte) ? OnnxElementType.UInt8 : raw == typeof(ushort) ? OnnxElementType.UInt16 : raw == typeof(short) ? OnnxElementType.Int16 :
            throw new ArgumentException($"Student feature column '{column}' is a vector of {vector.ItemType}, which a text student does not read.");
        return new OnnxInput(element, vector.IsKnownSize ? vector.Size : null);
    }

    /// <summary>Adds the nodes and returns the names of the ids (int64 [batch, M]) and the mask (float [batch, M]).</summary>
    public static (string Ids, string Mask) Prepare(OnnxGraphBuilder g, string input, int maxTokens, int vocabulary)
    {
        var (type, dims) = g.InputOf(input);
        if (dims.Length != 2)
            throw new InvalidOperationException($"A token-id body reads a [batch, tokens] input; '{input}' is declared with {dims.Length} dimensions.");
        string ids = type == OnnxElementType.Int64 ? input : g.AddNode("Cast", [input], "body.ids_int64", ("to", (long)OnnxElementType.Int64));
        long? length = dims[1];
        if (length is null || length < maxTokens)
            ids = g.AddNode("Pad", [ids, g.AddConstant("body.ids_padding", [0L, 0L, 0L, maxTokens], 4)], "body.ids_padded");
        if (length != maxTokens)
            ids = g.AddNode("Slice", [ids, g.AddConstant("body.ids_start", [0L], 1), g.AddConstant("body.ids_end", [(long)maxTokens], 1),
                g.AddConstant("body.ids_axis", [1L], 1)], "body.ids_cut");
        var zero = g.AddConstant("body.padding_id", [0L], 1);
        var inRange = g.AddNode("And", [g.AddNode("GreaterOrEqual", [ids, zero], "body.ids_not_negative"),
            g.AddNode("Less", [ids, g.AddConstant("body.vocabulary", [(long)vocabulary], 1)], "body.ids_in_vocabulary")], "body.ids_valid");
        ids = g.AddNode("Where", [inRange, ids, zero], "body.ids");
        var mask = g.AddNode("Cast", [g.AddNode("Greater", [ids, zero], "body.is_token")], "body.mask", ("to", (long)OnnxElementType.Float));
        return (ids, mask);
    }
}
