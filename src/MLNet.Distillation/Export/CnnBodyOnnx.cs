using MLNet.Distillation.Students;

namespace MLNet.Distillation.Export;

/// <summary>
/// Compiles a <see cref="CnnBody"/> into ONNX nodes: <c>Reshape</c> [batch, C·H·W] → [batch, C, H, W], the input
/// normalisation (<c>Sub</c>, <c>Mul</c>; skipped when it is the identity), per layer <c>Conv</c> (batch normalisation
/// folded in) → <c>Relu</c> → <c>MaxPool</c>, then <c>Flatten</c> (or <c>GlobalAveragePool</c> then <c>Flatten</c>) → [batch, features].
/// The kernels and biases are initializers (the graph's parameters); the shape and normalisation constants are
/// <c>Constant</c> nodes, as elsewhere in the student's graph.
/// </summary>
internal static class CnnBodyOnnx
{
    /// <summary>Adds the body's nodes reading <paramref name="input"/> and returns the name of its output, float [batch, <see cref="CnnBody.OutputWidth"/>].</summary>
    public static string Emit(OnnxGraphBuilder g, CnnBody body, string input)
    {
        var x = g.AddNode("Reshape", [input, g.AddConstant("body.image_shape", [-1L, body.Channels, body.Height, body.Width], 4)], "body.image");
        if (body.InputMean != 0f) x = g.AddNode("Sub", [x, g.AddConstant("body.input_mean", [body.InputMean], 1)], "body.centred");
        if (body.InputScale != 1f) x = g.AddNode("Mul", [x, g.AddConstant("body.input_scale", [body.InputScale], 1)], "body.normalised");
        for (int i = 0; i < body.Layers.Count; i++)
        {
            var l = body.Layers[i];
            var w = g.AddInitializer($"body.conv{i}.weight", l.Weights, l.OutputChannels, l.InputChannels, l.KernelSize, l.KernelSize);
            var b = g.AddInitializer($"body.conv{i}.bias", l.Bias, l.OutputChannels);
            x = g.AddNode("Conv", [x, w, b], $"body.conv{i}",
                ("kernel_shape", new long[] { l.KernelSize, l.KernelSize }), ("pads", new long[] { l.Padding, l.Padding, l.Padding, l.Padding }),
                ("strides", new long[] { 1, 1 }));
            x = g.AddNode("Relu", [x], $"body.conv{i}.relu");
            if (l.Pool > 1)
                x = g.AddNode("MaxPool", [x], $"body.conv{i}.pool", ("kernel_shape", new long[] { l.Pool, l.Pool }), ("strides", new long[] { l.Pool, l.Pool }));
        }
        if (body.Output == CnnOutput.GlobalAveragePool) x = g.AddNode("GlobalAveragePool", [x], "body.average");
        return g.AddNode("Flatten", [x], "body.features", ("axis", 1L));
    }
}
