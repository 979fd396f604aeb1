namespace MLNet.Distillation.Students;

/// <summary>
/// One convolution block of a trained <see cref="CnnBody"/>, in inference form: <c>y = maxpool(relu(conv(x, W) + b))</c>,
/// stride 1, with any batch normalisation already folded into <see cref="Weights"/> and <see cref="Bias"/>.
/// </summary>
/// <param name="Weights">Kernel weights, row-major <c>[OutputChannels, InputChannels, KernelSize, KernelSize]</c>.</param>
/// <param name="Bias">Bias, one per output channel.</param>
/// <param name="InputChannels">Channels read.</param>
/// <param name="OutputChannels">Channels produced.</param>
/// <param name="KernelSize">Side of the square kernel.</param>
/// <param name="Padding">Zero padding on each side.</param>
/// <param name="Pool">Side and stride of the max pool after the ReLU (1: none).</param>
public sealed record CnnLayer(float[] Weights, float[] Bias, int InputChannels, int OutputChannels, int KernelSize, int Padding, int Pool);
