using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Distillation.Students;

/// <summary>
/// Reads a bring-your-own TorchSharp module (<see cref="StudentArchitecture.Custom"/>): its layers in forward order
/// (nested <c>Sequential</c>s flattened), checked against what exports to ONNX, each layer's per-row output shape (one
/// forward pass of two zero rows), and — after training — its weights in inference form (<see cref="CustomLayer"/>s,
/// batch normalisation folded into the convolution or linear layer before it).
/// </summary>
internal static class CustomModuleReader
{
    /// <summary>What a custom body may be made of (for messages and docs/students.md).</summary>
    public const string Supported =
        "Sequential (nested too) of Linear, Conv1d, Conv2d (zero padding), BatchNorm1d, BatchNorm2d (with running statistics), LayerNorm, " +
        "ReLU, LeakyReLU, GELU, SiLU, Tanh, Sigmoid, MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d (without ceil_mode or divisor_override), " +
        "Flatten, Unflatten, Dropout, Dropout1d, Dropout2d, Identity";

    /// <summary>A leaf module and where it sits in the user's module (e.g. <c>body.3</c>).</summary>
    public readonly record struct Leaf(string Path, nn.Module<Tensor, Tensor> Module);

    /// <summary>The leaves of <paramref name="root"/> in forward order; throws for any module that does not export, naming it.</summary>
    /// <exception cref="NotSupportedException">A module type (or option) that has no ONNX form here.</exception>
    public static IReadOnlyList<Leaf> Leaves(nn.Module<Tensor, Tensor> root)
    {
        var leaves = new List<Leaf>();
        Collect("body", root, leaves);
        return leaves;
    }

    private static void Collect(string path, nn.Module module, List<Leaf> leaves)
    {
        if (module.GetType() == typeof(Sequential))
        {
            foreach (var (name, child) in module.named_children()) Collect($"{path}.{name}", child, leaves);
            return;
        }
        string? problem = module switch
        {
            _ when module is not nn.Module<Tensor, Tensor> => "it does not map one tensor to one tensor",
            _ when !IsSupportedType(module.GetType()) => "its forward cannot be read",
            Convolution c when c.padding_mode != PaddingModes.Zeros => $"padding_mode {c.padding_mode} (only zero padding exports)",
            BatchNorm1d or BatchNorm2d when ((NormBase)module).running_mean is null => "it has no running statistics (track_running_stats: false)",
            MaxPool1d { ceil_mode: true } or MaxPool2d { ceil_mode: true } or AvgPool1d { ceil_mode: true } or AvgPool2d { ceil_mode: true } => "ceil_mode: true",
            AvgPool2d { divisor_override: not null } => "divisor_override",
            _ => null,
        };
        if (problem is not null)
            throw new NotSupportedException(
                $"The custom student body's module '{path}' ({module.GetType().FullName}) cannot be exported to ONNX: {problem}. A custom body is trained " +
                $"and then compiled into the student's ONNX graph, so it must be made of: {Supported}. Write other layers in that form, or see docs/students.md.");
        leaves.Add(new Leaf(path, (nn.Module<Tensor, Tensor>)module));
    }

    private static bool IsSupportedType(Type t)
        => t == typeof(Linear) || t == typeof(Conv1d) || t == typeof(Conv2d) || t == typeof(BatchNorm1d) || t == typeof(BatchNorm2d) || t == typeof(LayerNorm)
           || t == typeof(ReLU) || t == typeof(LeakyReLU) || t == typeof(GELU) || t == typeof(SiLU) || t == typeof(Tanh) || t == typeof(Sigmoid)
           || t == typeof(MaxPool1d) || t == typeof(MaxPool2d) || t == typeof(AvgPool1d) || t == typeof(AvgPool2d)
           || t == typeof(Flatten) || t == typeof(Unflatten) || t == typeof(Dropout) || t == typeof(Dropout1d) || t == typeof(Dropout2d) || t == typeof(Identity);

    /// <summary>
    /// The per-row shape of the input (<c>[inputWidth]</c>) and of each leaf's output, from a forward pass of two zero rows
    /// in evaluation mode without gradients (the module's training mode is restored).
    /// </summary>
    /// <exception cref="ArgumentException">A layer fails on the input, changes the batch dimension, or the body does not end in [batch, features].</exception>
    public static long[][] Shapes(nn.Module<Tensor, Tensor> root, IReadOnlyList<Leaf> leaves, int inputWidth)
    {
        bool training = root.training;
        root.eval();
        try
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var shapes = new long[leaves.Count + 1][];
            shapes[0] = [inputWidth];
            var x = zeros(2, inputWidth);
            for (int i = 0; i < leaves.Count; i++)
            {
                try
                {
                    x = leaves[i].Module.forward(x);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or ExternalException)
                {
                    throw new ArgumentException($"The custom student body's module '{leaves[i].Path}' ({leaves[i].Module.GetType().Name}) fails on rows of shape " +
                        $"[{string.Join(", ", shapes[i])}] (the feature column holds {inputWidth} values per row): {e.Message}", e);
                }
                if (x.dim() < 2 || x.shape[0] != 2)
                    throw new ArgumentException($"The custom student body's module '{leaves[i].Path}' ({leaves[i].Module.GetType().Name}) changes the batch dimension " +
                        $"(output shape [{string.Join(", ", x.shape)}] for 2 rows); a body must keep dimension 0 as the batch (e.g. Flatten(startDim: 1)).");
                shapes[i + 1] = x.shape[1..];
            }
            if (shapes[^1].Length != 1)
                throw new ArgumentException($"The custom student body returns rows of shape [{string.Join(", ", shapes[^1])}]; the student's dense layers read " +
                    "[batch, features]: end the body with nn.Flatten().");
            return shapes;
        }
        finally
        {
            root.train(training);
        }
    }

    /// <summary>Forward multiply-adds of one row: Σ over linear layers of inputs·outputs per output row, over convolutions of C_out·C_in/groups·Πk·Π(output size).</summary>
    public static long MultiplyAdds(IReadOnlyList<Leaf> leaves, long[][] shapes)
    {
        long macs = 0;
        for (int i = 0; i < leaves.Count; i++)
        {
            var output = shapes[i + 1];
            macs += leaves[i].Module switch
            {
                Linear l => l.in_features * output.Aggregate(1L, (a, b) => a * b),
                Convolution c => c.in_channels / c.groups * c.kernel_size.Aggregate(1L, (a, b) => a * b) * output.Aggregate(1L, (a, b) => a * b),
                _ => 0,
            };
        }
        return macs;
    }

    /// <summary>The layers in inference form with their current weights: dropout and identities dropped, batch normalisation folded where it follows a convolution or a linear layer's channels.</summary>
    public static IReadOnlyList<CustomLayer> ToLayers(IReadOnlyList<Leaf> leaves, long[][] shapes)
    {
        using var _ = no_grad();
        var layers = new List<CustomLayer>();
        for (int i = 0; i < leaves.Count; i++)
        {
            var input = shapes[i];
            var output = shapes[i + 1];
            switch (leaves[i].Module)
            {
                case Linear l:
                    layers.Add(new DenseCustomLayer(Floats(l.weight!), l.bias is { } lb ? Floats(lb) : new float[l.out_features], (int)l.in_features, (int)l.out_features));
                    break;
                case Convolution c:
                    int dims = c.kernel_size.Length;
                    var padding = new long[2 * dims];
                    for (int d = 0; d < dims; d++)
                    {
                        // 'same' pads dilation·(k − 1) in all, the smaller half first (as PyTorch does); 'valid' pads nothing.
                        long total = c.padding_type switch { Padding.Same => c.dilation[d] * (c.kernel_size[d] - 1), Padding.Valid => 0, _ => 2 * c.padding![d] };
                        padding[d] = total / 2;
                        padding[dims + d] = total - total / 2;
                    }
                    layers.Add(new ConvCustomLayer(Floats(c.weight!), c.bias is { } cb ? Floats(cb) : new float[c.out_channels], (int)c.in_channels, (int)c.out_channels,
                        c.kernel_size.ToArray(), c.stride.ToArray(), padding, c.dilation.ToArray(), (int)c.groups));
                    break;
                case NormBase n:
                    var (scale, shift, mean, variance) = (n.weight is { } w ? Floats(w) : Ones(n.num_features), n.bias is { } b ? Floats(b) : new float[n.num_features],
                        Floats(n.running_mean!), Floats(n.running_var!));
                    if (layers.Count > 0 && Fold(layers[^1], input, scale, shift, mean, variance, n.eps) is { } folded) layers[^1] = folded;
                    else layers.Add(new BatchNormCustomLayer(scale, shift, mean, variance, n.eps));
                    break;
                case LayerNorm ln:
                    layers.Add(new LayerNormCustomLayer(ln.normalized_shape.ToArray(), ln.eps, ln.weight is { } lw ? Floats(lw) : null, ln.bias is { } lnb ? Floats(lnb) : null));
                    break;
                case ReLU: layers.Add(new ActivationCustomLayer(CustomActivation.Relu)); break;
                case LeakyReLU leaky: layers.Add(new ActivationCustomLayer(CustomActivation.LeakyRelu, leaky.negative_slope)); break;
                case GELU g: layers.Add(new ActivationCustomLayer(g.approximate == TorchSharp.Modules.GELU.Approximate.tanh ? CustomActivation.GeluTanh : CustomActivation.Gelu)); break;
                case SiLU: layers.Add(new ActivationCustomLayer(CustomActivation.Silu)); break;
                case Tanh: layers.Add(new ActivationCustomLayer(CustomActivation.Tanh)); break;
                case Sigmoid: layers.Add(new ActivationCustomLayer(CustomActivation.Sigmoid)); break;
                case MaxPool1d p: layers.Add(Pool(true, [p.kernel_size], p.stride is { } s1 ? [s1] : null, [p.padding ?? 0], [p.dilation ?? 1], true)); break;
                case MaxPool2d p: layers.Add(Pool(true, p.kernel_size, p.stride, p.padding ?? [0, 0], p.dilation ?? [1, 1], true)); break;
                case AvgPool1d p: layers.Add(Pool(false, [p.kernel_size], p.stride is { } s2 ? [s2] : null, [p.padding ?? 0], [1], p.count_include_pad)); break;
                case AvgPool2d p: layers.Add(Pool(false, p.kernel_size, p.stride, p.padding ?? [0, 0], [1, 1], p.count_include_pad)); break;
                case Flatten or Unflatten:
                    layers.Add(new ReshapeCustomLayer(output.ToArray()));
                    break;
                case Dropout or Dropout1d or Dropout2d or Identity:
                    break;
                default:
                    throw new InvalidOperationException($"Unchecked custom body module {leaves[i].Module.GetType().Name}.");
            }
        }
        return layers;
    }

    private static PoolCustomLayer Pool(bool max, long[] kernel, long[]? stride, long[] padding, long[] dilation, bool countIncludePad)
    {
        int dims = kernel.Length;
        var pads = new long[2 * dims];
        for (int d = 0; d < dims; d++) pads[d] = pads[dims + d] = padding.Length == 1 ? padding[0] : padding[d];
        return new PoolCustomLayer(max, kernel.ToArray(), (stride is null || stride.Length == 0 ? kernel : stride).ToArray(), pads,
            dilation.Length == 1 ? Enumerable.Repeat(dilation[0], dims).ToArray() : dilation.ToArray(), countIncludePad);
    }

    /// <summary>
    /// Batch normalisation folded into the layer before it when it normalises that layer's output channels: a convolution,
    /// or a linear layer whose rows are vectors. BN(z) = s·z + (β − s·μ) with s = γ / √(σ² + ε), in double.
    /// </summary>
    private static CustomLayer? Fold(CustomLayer previous, long[] input, float[] gamma, float[] beta, float[] mean, float[] variance, double eps)
    {
        (float[] W, float[] B, int Outputs)? target = previous switch
        {
            ConvCustomLayer c => (c.Weights.ToArray(), c.Bias.ToArray(), c.OutputChannels),
            DenseCustomLayer d when input.Length == 1 => (d.Weights.ToArray(), d.Bias.ToArray(), d.Outputs),
            _ => null,
        };
        if (target is not var (w, b, outputs) || outputs != gamma.Length) return null;
        int per = w.Length / outputs;
        for (int o = 0; o < outputs; o++)
        {
            double s = gamma[o] / Math.Sqrt(variance[o] + eps);
            for (int k = 0; k < per; k++) w[o * per + k] = (float)(w[o * per + k] * s);
            b[o] = (float)((b[o] - (double)mean[o]) * s + beta[o]);
        }
        return previous switch
        {
            ConvCustomLayer c => c with { Weights = w, Bias = b },
            DenseCustomLayer d => d with { Weights = w, Bias = b },
            _ => null,
        };
    }

    private static float[] Floats(Tensor t) => t.detach().cpu().contiguous().data<float>().ToArray();

    private static float[] Ones(long n) => Enumerable.Repeat(1f, (int)n).ToArray();
}
