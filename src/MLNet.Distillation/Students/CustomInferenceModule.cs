using static TorchSharp.torch;

namespace MLNet.Distillation.Students;

/// <summary>
/// A <see cref="CustomBody"/> back in TorchSharp, in evaluation mode: its inference-form layers applied with
/// <c>torch.nn.functional</c> (parity checks, robustness evaluation, mean teachers). It holds the weights as constants.
/// </summary>
internal sealed class CustomInferenceModule : StudentBodyModule
{
    private readonly CustomBody _body;
    private readonly List<Tensor[]> _weights = new();

    public CustomInferenceModule(CustomBody body) : base("CustomInference")
    {
        _body = body;
        foreach (var layer in body.Layers)
            _weights.Add(layer switch
            {
                DenseCustomLayer d => [tensor(d.Weights).reshape(d.Outputs, d.Inputs), tensor(d.Bias)],
                ConvCustomLayer c => [tensor(c.Weights).reshape([c.OutputChannels, c.InputChannels / c.Groups, .. c.Kernel]), tensor(c.Bias)],
                BatchNormCustomLayer b => [tensor(b.Scale), tensor(b.Shift), tensor(b.Mean), tensor(b.Variance)],
                LayerNormCustomLayer n => [n.Weight is null ? empty(0) : tensor(n.Weight).reshape(n.Shape), n.Bias is null ? empty(0) : tensor(n.Bias).reshape(n.Shape)],
                _ => [],
            });
        eval();
    }

    public override int OutputWidth => _body.OutputWidth;

    public override long MultiplyAddsPerRow => 0;

    public override Tensor forward(Tensor x)
    {
        for (int i = 0; i < _body.Layers.Count; i++)
        {
            var w = _weights[i];
            x = _body.Layers[i] switch
            {
                DenseCustomLayer => nn.functional.linear(x, w[0], w[1]),
                ConvCustomLayer c => Convolve(x, c, w[0], w[1]),
                BatchNormCustomLayer b => nn.functional.batch_norm(x, w[2], w[3], w[0], w[1], training: false, eps: b.Epsilon),
                LayerNormCustomLayer n => nn.functional.layer_norm(x, n.Shape, n.Weight is null ? null : w[0], n.Bias is null ? null : w[1], n.Epsilon),
                ActivationCustomLayer a => a.Kind switch
                {
                    CustomActivation.Relu => nn.functional.relu(x),
                    CustomActivation.LeakyRelu => nn.functional.leaky_relu(x, a.Slope),
                    CustomActivation.Gelu => nn.functional.gelu(x),
                    CustomActivation.GeluTanh => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
                    CustomActivation.Silu => nn.functional.silu(x),
                    CustomActivation.Tanh => x.tanh(),
                    CustomActivation.Sigmoid => x.sigmoid(),
                    _ => throw new InvalidOperationException($"Unknown activation {a.Kind}."),
                },
                PoolCustomLayer p => Pool(x, p),
                ReshapeCustomLayer r => x.reshape([-1, .. r.Shape]),
                var other => throw new InvalidOperationException($"Unknown custom layer {other.GetType().Name}."),
            };
        }
        return x;
    }

    private static Tensor Convolve(Tensor x, ConvCustomLayer c, Tensor weight, Tensor bias)
    {
        int dims = c.Dimensions;
        var before = c.Padding[..dims];
        var after = c.Padding[dims..];
        long[] padding = before;
        if (!before.SequenceEqual(after))
        {
            // Uneven ('same' with an even kernel): pad explicitly, last dimension first, as torch.nn.functional.pad takes it.
            var pads = new long[2 * dims];
            for (int d = 0; d < dims; d++) (pads[2 * d], pads[2 * d + 1]) = (before[dims - 1 - d], after[dims - 1 - d]);
            x = nn.functional.pad(x, pads);
            padding = new long[dims];
        }
        return dims == 1
            ? nn.functional.conv1d(x, weight, bias, c.Stride[0], padding[0], c.Dilation[0], c.Groups)
            : nn.functional.conv2d(x, weight, bias, c.Stride, padding, c.Dilation, c.Groups);
    }

    private static Tensor Pool(Tensor x, PoolCustomLayer p)
    {
        var padding = p.Padding[..p.Dimensions];
        return (p.Max, p.Dimensions) switch
        {
            (true, 1) => nn.functional.max_pool1d(x, p.Kernel[0], p.Stride[0], padding[0], p.Dilation[0]),
            (true, _) => nn.functional.max_pool2d(x, p.Kernel, p.Stride, padding, p.Dilation),
            (false, 1) => nn.functional.avg_pool1d(x, p.Kernel[0], p.Stride[0], padding[0], count_include_pad: p.CountIncludePad),
            (false, _) => nn.functional.avg_pool2d(x, p.Kernel, p.Stride, padding, count_include_pad: p.CountIncludePad),
        };
    }

    public override StudentBody ToBody() => _body;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            foreach (var t in _weights.SelectMany(w => w)) t.Dispose();
        base.Dispose(disposing);
    }
}
