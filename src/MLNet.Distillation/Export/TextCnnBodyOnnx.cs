using MLNet.Distillation.Students;

namespace MLNet.Distillation.Export;

/// <summary>
/// The 1-D convolutional text body in ONNX (<see cref="TextCnnBody"/>): the ids (<see cref="TokenIdsOnnx"/>), <c>Gather</c>
/// on the embedding table times the padding mask, transposed to [batch, D, MaxTokens]; per convolution a <c>Conv</c> with
/// k − 1 zero positions padded on the right, <c>Relu</c>, times the mask (windows that start at a token), <c>ReduceMax</c>
/// over time; the pooled filters concatenated. Output float [batch, Filters · convolutions].
/// </summary>
internal static class TextCnnBodyOnnx
{
    public static string Emit(OnnxGraphBuilder g, TextCnnBody body, string input)
    {
        var (ids, mask) = TokenIdsOnnx.Prepare(g, input, body.MaxTokens, body.VocabularySize);
        var table = g.AddInitializer("body.embeddings", body.Embeddings, body.VocabularySize, body.Dimension);
        var gathered = g.AddNode("Gather", [table, ids], "body.embedded", ("axis", 0L));
        var masked = g.AddNode("Mul", [gathered, g.AddNode("Unsqueeze", [mask, g.AddConstant("body.mask_axis2", [2L], 1)], "body.mask_bmd")], "body.masked");
        var channels = g.AddNode("Transpose", [masked], "body.channels", ("perm", new long[] { 0, 2, 1 }));
        var starts = g.AddNode("Unsqueeze", [mask, g.AddConstant("body.mask_axis1", [1L], 1)], "body.window_starts");
        var pooled = new string[body.Convolutions.Count];
        for (int i = 0; i < pooled.Length; i++)
        {
            var c = body.Convolutions[i];
            string name = $"body.conv{i}";
            var w = g.AddInitializer(name + ".weight", c.Weights, c.Filters, c.Channels, c.KernelSize);
            var b = g.AddInitializer(name + ".bias", c.Bias, c.Filters);
            var conv = g.AddNode("Conv", [channels, w, b], name + ".output", ("kernel_shape", new long[] { c.KernelSize }), ("pads", new long[] { 0, c.KernelSize - 1 }));
            var windows = g.AddNode("Mul", [g.AddNode("Relu", [conv], name + ".relu"), starts], name + ".windows");
            pooled[i] = g.AddNode("ReduceMax", [windows], name + ".pooled", ("axes", new long[] { 2 }), ("keepdims", 0L));
        }
        return pooled.Length == 1 ? pooled[0] : g.AddNode("Concat", pooled, "body.output", ("axis", 1L));
    }
}
