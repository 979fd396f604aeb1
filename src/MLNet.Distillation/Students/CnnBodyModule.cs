using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Distillation.Students;

/// <summary>
/// The TorchSharp module of a CNN student's body: the float rows reshaped to <c>[batch, C, H, W]</c>, normalised by one
/// mean and factor, then per block a stride-1 convolution, batch normalisation (optional), ReLU and max pool, then a
/// flatten or global average pool, and dropout on the features while training.
/// </summary>
internal sealed class CnnBodyModule : StudentBodyModule
{
    /// <summary>Batch normalisation epsilon (PyTorch's default).</summary>
    private const double BatchNormEpsilon = 1e-5;

    private readonly ModuleList<Conv2d> convs = new();
    private readonly ModuleList<BatchNorm2d> norms = new();
    private readonly CnnOptions _o;
    private readonly float _mean;
    private readonly float _scale;

    /// <summary>A freshly initialised body (TorchSharp's default initialisation, under the seed the caller has set).</summary>
    /// <param name="options">Checked options (<see cref="CnnOptions.Validate"/>).</param>
    /// <param name="mean">Subtracted from every pixel.</param>
    /// <param name="scale">Factor applied to every centred pixel.</param>
    public CnnBodyModule(CnnOptions options, float mean, float scale) : base("CnnBody")
    {
        _o = options;
        _mean = mean;
        _scale = scale;
        var sizes = options.Validate();
        int channels = options.Channels;
        foreach (var b in options.Blocks)
        {
            convs.Add(nn.Conv2d(channels, b.Channels, b.KernelSize, padding: b.EffectivePadding, bias: !options.BatchNorm));
            if (options.BatchNorm) norms.Add(nn.BatchNorm2d(b.Channels, eps: BatchNormEpsilon));
            channels = b.Channels;
        }
        long macs = 0;
        int inputs = options.Channels, height = options.Height, width = options.Width;
        foreach (var b in options.Blocks)
        {
            int convH = height + 2 * b.EffectivePadding - b.KernelSize + 1, convW = width + 2 * b.EffectivePadding - b.KernelSize + 1;
            macs += (long)b.Channels * inputs * b.KernelSize * b.KernelSize * convH * convW;
            (inputs, height, width) = (b.Channels, convH / b.Pool, convW / b.Pool);
        }
        MultiplyAddsPerRow = macs;
        var (h, w) = sizes[^1];
        OutputWidth = options.Output == CnnOutput.GlobalAveragePool ? channels : channels * h * w;
        RegisterComponents();
    }

    public override int OutputWidth { get; }

    /// <summary>Σ over the convolutions of C_out·C_in·k²·H_conv·W_conv (the feature maps before pooling).</summary>
    public override long MultiplyAddsPerRow { get; }

    public override Tensor forward(Tensor input)
    {
        var x = input.reshape(-1, _o.Channels, _o.Height, _o.Width);
        if (_mean != 0f) x = x - _mean;
        if (_scale != 1f) x = x * _scale;
        for (int i = 0; i < convs.Count; i++)
        {
            x = convs[i].forward(x);
            if (norms.Count > 0) x = norms[i].forward(x);
            x = nn.functional.relu(x);
            int pool = _o.Blocks[i].Pool;
            if (pool > 1) x = nn.functional.max_pool2d(x, pool, pool);
        }
        x = _o.Output == CnnOutput.GlobalAveragePool ? x.mean([2, 3]) : x.flatten(1);
        if (_o.Dropout > 0) x = nn.functional.dropout(x, _o.Dropout, training);
        return x;
    }

    /// <summary>The weights in inference form: each batch normalisation (with its running statistics) folded into its convolution.</summary>
    public override StudentBody ToBody()
    {
        using var _ = no_grad();
        var layers = new List<CnnLayer>();
        int inputs = _o.Channels;
        for (int i = 0; i < convs.Count; i++)
        {
            var b = _o.Blocks[i];
            int outputs = b.Channels, perOutput = inputs * b.KernelSize * b.KernelSize;
            var weights = convs[i].weight!.detach().cpu().data<float>().ToArray();
            var bias = convs[i].bias is { } cb ? cb.detach().cpu().data<float>().ToArray() : new float[outputs];
            if (norms.Count > 0)
            {
                var n = norms[i];
                var gamma = n.weight!.detach().cpu().data<float>().ToArray();
                var beta = n.bias!.detach().cpu().data<float>().ToArray();
                var runningMean = n.running_mean!.cpu().data<float>().ToArray();
                var runningVar = n.running_var!.cpu().data<float>().ToArray();
                for (int o = 0; o < outputs; o++)
                {
                    // BN(conv(x) + b) = s·conv(x) + s·(b − μ) + β with s = γ / √(σ² + ε): scale the kernel, shift the bias (in double).
                    double s = gamma[o] / Math.Sqrt(runningVar[o] + BatchNormEpsilon);
                    for (int k = 0; k < perOutput; k++) weights[o * perOutput + k] = (float)(weights[o * perOutput + k] * s);
                    bias[o] = (float)((bias[o] - (double)runningMean[o]) * s + beta[o]);
                }
            }
            layers.Add(new CnnLayer(weights, bias, inputs, outputs, b.KernelSize, b.EffectivePadding, b.Pool));
            inputs = outputs;
        }
        return new CnnBody(_o.Channels, _o.Height, _o.Width, _mean, _scale, layers, _o.Output, _o.BatchNorm);
    }

    /// <summary>A module holding the weights of <paramref name="body"/> (inference form: no batch normalisation, no dropout), in evaluation mode.</summary>
    public static CnnBodyModule FromBody(CnnBody body)
    {
        var options = new CnnOptions
        {
            Channels = body.Channels, Height = body.Height, Width = body.Width, BatchNorm = false, Output = body.Output,
            Blocks = body.Layers.Select(l => new ConvBlock(l.OutputChannels, l.KernelSize, l.Padding, l.Pool)).ToArray(),
        };
        var m = new CnnBodyModule(options, body.InputMean, body.InputScale);
        using (no_grad())
        {
            for (int i = 0; i < body.Layers.Count; i++)
            {
                var l = body.Layers[i];
                m.convs[i].weight!.copy_(tensor(l.Weights).reshape(l.OutputChannels, l.InputChannels, l.KernelSize, l.KernelSize));
                m.convs[i].bias!.copy_(tensor(l.Bias));
            }
        }
        m.eval();
        return m;
    }
}
