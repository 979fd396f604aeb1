namespace MLNet.Distillation.Students;

/// <summary>
/// One block of a CNN student (<see cref="CnnOptions.Blocks"/>): a <paramref name="KernelSize"/>×<paramref name="KernelSize"/>
/// convolution with stride 1 to <paramref name="Channels"/> channels, batch normalisation (when <see cref="CnnOptions.BatchNorm"/>),
/// ReLU, then a <paramref name="Pool"/>×<paramref name="Pool"/> max pool with stride <paramref name="Pool"/> (1: none).
/// </summary>
/// <param name="Channels">Output channels of the convolution.</param>
/// <param name="KernelSize">Side of the square kernel (default 3).</param>
/// <param name="Padding">Zero padding on each side; null (default) is <c>KernelSize / 2</c>, which keeps the size for odd kernels.</param>
/// <param name="Pool">Side and stride of the max pool after the activation (default 2; 1 for no pooling).</param>
public sealed record ConvBlock(int Channels, int KernelSize = 3, int? Padding = null, int Pool = 2)
{
    /// <summary>The padding in force: <see cref="Padding"/>, or <c>KernelSize / 2</c>.</summary>
    public int EffectivePadding => Padding ?? KernelSize / 2;

    /// <summary>"16c3-p2" style description (the padding shown only when it is not the default, "-bn" with batch normalisation).</summary>
    internal string Describe(bool batchNorm)
        => $"{Channels}c{KernelSize}" + (Padding is int p && p != KernelSize / 2 ? $"pad{p}" : "") + (batchNorm ? "-bn" : "") + (Pool > 1 ? $"-p{Pool}" : "");
}
