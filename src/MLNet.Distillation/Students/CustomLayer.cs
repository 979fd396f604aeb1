using System.Globalization;

namespace MLNet.Distillation.Students;

/// <summary>
/// One layer of a bring-your-own body (<see cref="CustomBody"/>) in inference form, with its weights copied out of
/// TorchSharp. Shapes are per row (without the batch dimension).
/// </summary>
internal abstract record CustomLayer
{
    /// <summary>A short description for <see cref="CustomBody.Describe"/>.</summary>
    public abstract string Describe();

    /// <summary>Weights and biases this layer holds in inference form.</summary>
    public virtual long InferenceParameters => 0;

    protected static string Join(long[] values) => string.Join("×", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));
}

/// <summary><c>x·Wᵀ + b</c> over the last dimension (a <c>Linear</c>, with any batch normalisation after it folded in).</summary>
internal sealed record DenseCustomLayer(float[] Weights, float[] Bias, int Inputs, int Outputs) : CustomLayer
{
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"linear {Inputs}→{Outputs}");

    public override long InferenceParameters => Weights.Length + Bias.Length;
}

/// <summary>
/// A 1-D or 2-D convolution with zero padding (any batch normalisation after it folded in); <c>Padding</c> holds the
/// padding at the start of each spatial dimension, then at the end of each (ONNX <c>pads</c> order).
/// </summary>
internal sealed record ConvCustomLayer(float[] Weights, float[] Bias, int InputChannels, int OutputChannels, long[] Kernel, long[] Stride, long[] Padding,
    long[] Dilation, int Groups) : CustomLayer
{
    public int Dimensions => Kernel.Length;

    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"conv{Dimensions}d {InputChannels}→{OutputChannels} k{Join(Kernel)}")
        + (Stride.Any(s => s != 1) ? $" s{Join(Stride)}" : "") + (Groups != 1 ? $" g{Groups}" : "");

    public override long InferenceParameters => Weights.Length + Bias.Length;
}

/// <summary>Batch normalisation with its running statistics, over dimension 1, where it could not be folded into the layer before it.</summary>
internal sealed record BatchNormCustomLayer(float[] Scale, float[] Shift, float[] Mean, float[] Variance, double Epsilon) : CustomLayer
{
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"batchnorm {Scale.Length}");

    public override long InferenceParameters => 4L * Scale.Length;
}

/// <summary>Layer normalisation over the last <c>Shape.Length</c> dimensions, with optional elementwise weight and bias.</summary>
internal sealed record LayerNormCustomLayer(long[] Shape, double Epsilon, float[]? Weight, float[]? Bias) : CustomLayer
{
    public override string Describe() => $"layernorm {Join(Shape)}";

    public override long InferenceParameters => (Weight?.Length ?? 0) + (Bias?.Length ?? 0);
}

/// <summary>The activations a custom body may use.</summary>
internal enum CustomActivation
{
    Relu,
    LeakyRelu,
    Gelu,
    GeluTanh,
    Silu,
    Tanh,
    Sigmoid,
}

/// <summary>An elementwise activation (<c>Slope</c>: the negative slope of a leaky ReLU).</summary>
internal sealed record ActivationCustomLayer(CustomActivation Kind, double Slope = 0) : CustomLayer
{
    public override string Describe() => Kind switch
    {
        CustomActivation.LeakyRelu => string.Create(CultureInfo.InvariantCulture, $"leakyrelu {Slope:G3}"),
        CustomActivation.GeluTanh => "gelu(tanh)",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}

/// <summary>
/// A 1-D or 2-D max or average pool (floor mode; an average pool counts the zero padding when <c>CountIncludePad</c>);
/// <c>Padding</c> in ONNX <c>pads</c> order (the starts, then the ends).
/// </summary>
internal sealed record PoolCustomLayer(bool Max, long[] Kernel, long[] Stride, long[] Padding, long[] Dilation, bool CountIncludePad) : CustomLayer
{
    public int Dimensions => Kernel.Length;

    public override string Describe() => $"{(Max ? "max" : "avg")}pool{Dimensions}d k{Join(Kernel)}" + (Stride.SequenceEqual(Kernel) ? "" : $" s{Join(Stride)}");
}

/// <summary>A reshape of every row to <c>Shape</c> (what a <c>Flatten</c> or <c>Unflatten</c> does to the dimensions after the batch).</summary>
internal sealed record ReshapeCustomLayer(long[] Shape) : CustomLayer
{
    public override string Describe() => Shape.Length == 1 ? "flatten" : $"reshape {Join(Shape)}";
}
