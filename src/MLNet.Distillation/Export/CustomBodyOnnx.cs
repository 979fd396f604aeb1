using MLNet.Distillation.Students;

namespace MLNet.Distillation.Export;

/// <summary>
/// Compiles a <see cref="CustomBody"/> into ONNX nodes (opset 13), layer by layer: linear → <c>MatMul</c> + <c>Add</c>;
/// convolution → <c>Conv</c>; unfolded batch normalisation → <c>BatchNormalization</c>; layer normalisation →
/// <c>ReduceMean</c>, <c>Sub</c>, <c>Mul</c>, <c>ReduceMean</c>, <c>Add</c>, <c>Sqrt</c>, <c>Div</c> (then the weight and
/// bias; <c>LayerNormalization</c> is an operator only from opset 17); ReLU/LeakyReLU/Tanh/Sigmoid as themselves, SiLU as
/// <c>x·Sigmoid(x)</c>, GELU as <c>0.5·x·(1 + Erf(x/√2))</c> or its tanh form; pools → <c>MaxPool</c>/<c>AveragePool</c>;
/// flatten/unflatten → <c>Reshape</c>. Weights are initializers named <c>body.{i}.…</c>.
/// </summary>
internal static class CustomBodyOnnx
{
    /// <summary>Adds the body's nodes reading <paramref name="input"/> and returns the name of its output, float [batch, <see cref="CustomBody.OutputWidth"/>].</summary>
    public static string Emit(OnnxGraphBuilder g, CustomBody body, string input)
    {
        string x = input;
        for (int i = 0; i < body.Layers.Count; i++)
        {
            string n = $"body.{i}";
            x = body.Layers[i] switch
            {
                DenseCustomLayer d => g.AddNode("Add", [g.AddNode("MatMul", [x, g.AddInitializer($"{n}.weight_t", Transpose(d.Weights, d.Outputs, d.Inputs), d.Inputs, d.Outputs)], $"{n}.matmul"),
                    g.AddInitializer($"{n}.bias", d.Bias, d.Outputs)], n),
                ConvCustomLayer c => g.AddNode("Conv", [x, g.AddInitializer($"{n}.weight", c.Weights, [c.OutputChannels, c.InputChannels / c.Groups, .. c.Kernel]),
                    g.AddInitializer($"{n}.bias", c.Bias, c.OutputChannels)], n,
                    ("kernel_shape", c.Kernel), ("strides", c.Stride), ("pads", c.Padding), ("dilations", c.Dilation), ("group", (long)c.Groups)),
                BatchNormCustomLayer b => g.AddNode("BatchNormalization", [x, g.AddInitializer($"{n}.scale", b.Scale, b.Scale.Length), g.AddInitializer($"{n}.shift", b.Shift, b.Shift.Length),
                    g.AddInitializer($"{n}.mean", b.Mean, b.Mean.Length), g.AddInitializer($"{n}.variance", b.Variance, b.Variance.Length)], n, ("epsilon", (float)b.Epsilon)),
                LayerNormCustomLayer ln => LayerNorm(g, ln, x, n),
                ActivationCustomLayer a => Activation(g, a, x, n),
                PoolCustomLayer p => p.Max
                    ? g.AddNode("MaxPool", [x], n, ("kernel_shape", p.Kernel), ("strides", p.Stride), ("pads", p.Padding), ("dilations", p.Dilation))
                    : g.AddNode("AveragePool", [x], n, ("kernel_shape", p.Kernel), ("strides", p.Stride), ("pads", p.Padding), ("count_include_pad", p.CountIncludePad ? 1L : 0L)),
                ReshapeCustomLayer r => g.AddNode("Reshape", [x, g.AddConstant($"{n}.shape", [-1L, .. r.Shape], r.Shape.Length + 1)], n),
                var other => throw new InvalidOperationException($"No ONNX form for custom layer {other.GetType().Name}."),
            };
        }
        return x;
    }

    /// <summary>(x − mean) / √(var + ε) over the last Shape.Length axes (population variance), then · weight + bias.</summary>
    private static string LayerNorm(OnnxGraphBuilder g, LayerNormCustomLayer ln, string x, string n)
    {
        var axes = Enumerable.Range(1, ln.Shape.Length).Select(k => (long)-k).Reverse().ToArray();
        var mean = g.AddNode("ReduceMean", [x], $"{n}.mean", ("axes", axes), ("keepdims", 1L));
        var centred = g.AddNode("Sub", [x, mean], $"{n}.centred");
        var variance = g.AddNode("ReduceMean", [g.AddNode("Mul", [centred, centred], $"{n}.squared")], $"{n}.variance", ("axes", axes), ("keepdims", 1L));
        var std = g.AddNode("Sqrt", [g.AddNode("Add", [variance, g.AddInitializer($"{n}.epsilon", [(float)ln.Epsilon])], $"{n}.variance_eps")], $"{n}.std");
        var y = g.AddNode("Div", [centred, std], $"{n}.normalised");
        if (ln.Weight is not null) y = g.AddNode("Mul", [y, g.AddInitializer($"{n}.weight", ln.Weight, ln.Shape)], $"{n}.scaled");
        if (ln.Bias is not null) y = g.AddNode("Add", [y, g.AddInitializer($"{n}.bias", ln.Bias, ln.Shape)], $"{n}.shifted");
        return y;
    }

    private static string Activation(OnnxGraphBuilder g, ActivationCustomLayer a, string x, string n)
    {
        switch (a.Kind)
        {
            case CustomActivation.Relu: return g.AddNode("Relu", [x], n);
            case CustomActivation.LeakyRelu: return g.AddNode("LeakyRelu", [x], n, ("alpha", (float)a.Slope));
            case CustomActivation.Tanh: return g.AddNode("Tanh", [x], n);
            case CustomActivation.Sigmoid: return g.AddNode("Sigmoid", [x], n);
            case CustomActivation.Silu: return g.AddNode("Mul", [x, g.AddNode("Sigmoid", [x], $"{n}.sigmoid")], n);
            case CustomActivation.Gelu:
            {
                var erf = g.AddNode("Erf", [g.AddNode("Mul", [x, g.AddInitializer($"{n}.c_inv_sqrt2", [0.70710678118654752f])], $"{n}.scaled")], $"{n}.erf");
                var half = g.AddNode("Mul", [x, g.AddInitializer($"{n}.c_half", [0.5f])], $"{n}.half");
                return g.AddNode("Mul", [half, g.AddNode("Add", [erf, g.AddInitializer($"{n}.c_one", [1f])], $"{n}.plus1")], n);
            }
            case CustomActivation.GeluTanh:
            {
                // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), PyTorch's approximate='tanh'.
                var cube = g.AddNode("Mul", [g.AddNode("Mul", [x, x], $"{n}.square"), x], $"{n}.cube");
                var inner = g.AddNode("Add", [x, g.AddNode("Mul", [cube, g.AddInitializer($"{n}.c_cubic", [0.044715f])], $"{n}.cubic")], $"{n}.inner");
                var tanh = g.AddNode("Tanh", [g.AddNode("Mul", [inner, g.AddInitializer($"{n}.c_sqrt_2_pi", [0.7978845608028654f])], $"{n}.scaled")], $"{n}.tanh");
                var half = g.AddNode("Mul", [x, g.AddInitializer($"{n}.c_half", [0.5f])], $"{n}.half");
                return g.AddNode("Mul", [half, g.AddNode("Add", [tanh, g.AddInitializer($"{n}.c_one", [1f])], $"{n}.plus1")], n);
            }
            default: throw new ArgumentOutOfRangeException(nameof(a), a.Kind, "Unknown activation.");
        }
    }

    private static float[] Transpose(float[] w, int rows, int columns)
    {
        var t = new float[w.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) t[c * rows + r] = w[r * columns + c];
        return t;
    }
}
