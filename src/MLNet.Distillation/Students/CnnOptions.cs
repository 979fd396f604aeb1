using System.Globalization;

namespace MLNet.Distillation.Students;

/// <summary>
/// A CNN student (<see cref="StudentArchitecture.Cnn"/>): the feature column holds an image as a float vector,
/// channel-major then row-major (<c>[channels, height, width]</c>, the layout of ONNX and PyTorch image tensors, e.g. the
/// 784 pixels of a 28×28 grey image); the student normalises it by one mean and standard deviation computed from the
/// training rows, runs <see cref="Blocks"/> (convolution, batch normalisation, ReLU, max pool), flattens or averages the
/// last feature maps (<see cref="Output"/>) and feeds them to its dense layers (<c>StudentOptions.HiddenLayers</c> and the head).
/// </summary>
public sealed class CnnOptions
{
    /// <summary>Image channels (default 1: grey).</summary>
    public int Channels { get; set; } = 1;

    /// <summary>Image height in pixels. Required.</summary>
    public int Height { get; set; }

    /// <summary>Image width in pixels. Required.</summary>
    public int Width { get; set; }

    /// <summary>The convolution blocks, in order (default two: 16 and 32 channels, 3×3 kernels, 2×2 max pools).</summary>
    public IReadOnlyList<ConvBlock> Blocks { get; set; } = [new ConvBlock(16), new ConvBlock(32)];

    /// <summary>Batch normalisation after every convolution (default true); folded into the convolutions for inference.</summary>
    public bool BatchNorm { get; set; } = true;

    /// <summary>Dropout probability on the body's output features while training (default 0); not part of the exported graph.</summary>
    public double Dropout { get; set; }

    /// <summary>How the last feature maps become features (default <see cref="CnnOutput.Flatten"/>).</summary>
    public CnnOutput Output { get; set; } = CnnOutput.Flatten;

    /// <summary>
    /// Subtract the training rows' mean pixel value and divide by their standard deviation (one number each, over every
    /// pixel of every row) before the first convolution (default true). Exported as two operators in the graph.
    /// </summary>
    public bool NormalizeInput { get; set; } = true;

    /// <summary>Values per row the feature column must hold: <c>Channels × Height × Width</c>.</summary>
    public int InputSize => Channels * Height * Width;

    /// <summary>A copy, so that an architecture is not changed by later edits of the options it was made from.</summary>
    internal CnnOptions Clone() => new()
    {
        Channels = Channels, Height = Height, Width = Width, Blocks = Blocks.ToArray(), BatchNorm = BatchNorm,
        Dropout = Dropout, Output = Output, NormalizeInput = NormalizeInput,
    };

    /// <summary>Checks every option and that each block leaves at least one pixel; returns the feature-map sizes after each block.</summary>
    internal IReadOnlyList<(int Height, int Width)> Validate()
    {
        if (Channels < 1 || Height < 1 || Width < 1)
            throw new ArgumentException($"CnnOptions: Channels, Height and Width must be positive (got {Channels}×{Height}×{Width}); set them to the image shape, e.g. Channels = 1, Height = 28, Width = 28.");
        if ((long)Channels * Height * Width > int.MaxValue)
            throw new ArgumentException($"CnnOptions: an image of {Channels}×{Height}×{Width} values is too large.");
        if (Blocks is null || Blocks.Count == 0)
            throw new ArgumentException("CnnOptions.Blocks is empty: give at least one ConvBlock, e.g. [new ConvBlock(16), new ConvBlock(32)].");
        if (!(Dropout >= 0 && Dropout < 1))
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "CnnOptions.Dropout must lie in [0, 1).");
        if (!Enum.IsDefined(Output))
            throw new ArgumentOutOfRangeException(nameof(Output), Output, "CnnOptions.Output must be Flatten or GlobalAveragePool.");
        var sizes = new List<(int, int)>();
        int h = Height, w = Width;
        for (int i = 0; i < Blocks.Count; i++)
        {
            var b = Blocks[i] ?? throw new ArgumentException($"CnnOptions.Blocks[{i}] is null.");
            if (b.Channels < 1 || b.KernelSize < 1 || b.EffectivePadding < 0 || b.Pool < 1)
                throw new ArgumentException($"CnnOptions.Blocks[{i}] = {b}: Channels and KernelSize must be positive, Padding non-negative and Pool at least 1.");
            h = (h + 2 * b.EffectivePadding - b.KernelSize + 1) / b.Pool;
            w = (w + 2 * b.EffectivePadding - b.KernelSize + 1) / b.Pool;
            if (h < 1 || w < 1)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"CnnOptions.Blocks[{i}] = {b} leaves no pixel of the {Height}×{Width} image (feature maps of {h}×{w}); use fewer blocks, smaller kernels, more padding or less pooling."));
            sizes.Add((h, w));
        }
        return sizes;
    }
}
