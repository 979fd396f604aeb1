using System.Globalization;
using MLNet.Distillation.Export;

namespace MLNet.Distillation.Students;

/// <summary>
/// A trained CNN student's body (<see cref="StudentNetwork.Body"/>) as plain weights: the image read from the float input
/// as <c>[Channels, Height, Width]</c>, normalised as <c>(x − InputMean) · InputScale</c>, then <see cref="Layers"/>
/// (convolution with batch normalisation folded in, ReLU, max pool) and a flatten or global average pool
/// (<see cref="Output"/>). This is what is compiled into the student's ONNX graph.
/// </summary>
public sealed class CnnBody : StudentBody
{
    private readonly long _trainedParameters;

    /// <summary>Checks that the layers chain from the image and leave at least one pixel.</summary>
    internal CnnBody(int channels, int height, int width, float inputMean, float inputScale, IReadOnlyList<CnnLayer> layers, CnnOutput output, bool batchNormFolded)
    {
        if (channels < 1 || height < 1 || width < 1) throw new ArgumentException($"A CNN body needs a positive image shape, not {channels}×{height}×{width}.");
        if (layers.Count == 0) throw new ArgumentException("A CNN body needs at least one convolution layer.", nameof(layers));
        if (!float.IsFinite(inputMean) || !float.IsFinite(inputScale) || inputScale == 0)
            throw new ArgumentException($"A CNN body's input normalisation must be finite with a non-zero scale (mean {inputMean}, scale {inputScale}).");
        int c = channels, h = height, w = width;
        long trained = 0;
        foreach (var l in layers)
        {
            if (l.InputChannels != c || l.Weights.Length != l.OutputChannels * l.InputChannels * l.KernelSize * l.KernelSize || l.Bias.Length != l.OutputChannels
                || l.KernelSize < 1 || l.Padding < 0 || l.Pool < 1)
                throw new ArgumentException($"CNN layers do not chain: expected {c} input channels, got a {l.InputChannels}→{l.OutputChannels} layer with kernel {l.KernelSize}, {l.Weights.Length} weights and {l.Bias.Length} biases.", nameof(layers));
            h = (h + 2 * l.Padding - l.KernelSize + 1) / l.Pool;
            w = (w + 2 * l.Padding - l.KernelSize + 1) / l.Pool;
            if (h < 1 || w < 1) throw new ArgumentException($"CNN layer {l.InputChannels}→{l.OutputChannels} leaves no pixel ({h}×{w}).", nameof(layers));
            c = l.OutputChannels;
            // As trained: a convolution without bias plus the batch norm's scale and shift, or a convolution with bias.
            trained += l.Weights.Length + (batchNormFolded ? 2L : 1L) * l.OutputChannels;
        }
        Channels = channels;
        Height = height;
        Width = width;
        InputMean = inputMean;
        InputScale = inputScale;
        Layers = layers;
        Output = output;
        BatchNormFolded = batchNormFolded;
        OutputWidth = output == CnnOutput.GlobalAveragePool ? c : c * h * w;
        _trainedParameters = trained;
    }

    /// <summary>Image channels.</summary>
    public int Channels { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Subtracted from every pixel first (the training rows' mean pixel value; 0 without normalisation).</summary>
    public float InputMean { get; }

    /// <summary>Factor applied to every centred pixel (1 / the training rows' pixel standard deviation; 1 without normalisation).</summary>
    public float InputScale { get; }

    /// <summary>The convolution blocks in inference form.</summary>
    public IReadOnlyList<CnnLayer> Layers { get; }

    /// <summary>How the last feature maps become the output features.</summary>
    public CnnOutput Output { get; }

    /// <summary>Whether the body was trained with batch normalisation, now folded into <see cref="Layers"/>.</summary>
    public bool BatchNormFolded { get; }

    /// <inheritdoc />
    public override int InputSize => Channels * Height * Width;

    /// <inheritdoc />
    public override int OutputWidth { get; }

    /// <summary>Parameters as trained: convolution weights and, per output channel, a bias or (with batch normalisation) its scale and shift.</summary>
    public override long ParameterCount => _trainedParameters;

    /// <summary>Weights and biases of the inference form (<see cref="Layers"/>): what the exported graph holds.</summary>
    public long InferenceParameterCount => Layers.Sum(l => (long)l.Weights.Length + l.Bias.Length);

    /// <inheritdoc />
    public override string Describe()
        => string.Create(CultureInfo.InvariantCulture, $"cnn {Channels}×{Height}×{Width} [{string.Join(", ", Layers.Select(l => new ConvBlock(l.OutputChannels, l.KernelSize, l.Padding, l.Pool).Describe(BatchNormFolded)))}]")
           + (Output == CnnOutput.GlobalAveragePool ? " gap" : "");

    internal override StudentBodyModule ToModule() => CnnBodyModule.FromBody(this);

    internal override string EmitOnnx(OnnxGraphBuilder graph, string input) => CnnBodyOnnx.Emit(graph, this, input);
}
