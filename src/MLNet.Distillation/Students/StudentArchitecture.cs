using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Students;

/// <summary>
/// The body of a student: what turns its raw input (an image's pixels, a sentence's token ids, …) into the feature vector
/// that the student's hidden layers (<see cref="Training.StudentOptions.HiddenLayers"/>) and task head read. Set
/// <see cref="Training.StudentOptions.Architecture"/> to one of the factories of this class; <c>null</c> (the default) is
/// the plain MLP over the float feature vector. Whatever the body, the student trains in the same loop with the same
/// losses, exports to ONNX and saves as stock ML.NET parts.
/// </summary>
public abstract partial class StudentArchitecture
{
    /// <summary>Only this library defines architectures; bring your own TorchSharp module through its custom-body factory.</summary>
    internal StudentArchitecture()
    {
    }

    /// <summary>A short description, e.g. <c>cnn 1×28×28 [16c3-p2, 32c3-p2]</c>.</summary>
    public abstract string Describe();

    /// <summary>How the student reads its feature column.</summary>
    internal virtual StudentInput Input => StudentInput.FloatVector;

    /// <summary>Creates the body's TorchSharp module, freshly initialised (under the fit's seed, which the loop has set).</summary>
    internal abstract StudentBodyModule Create(BodyContext context);

    /// <summary>
    /// A CNN over an image given as a float vector (channel-major then row-major, e.g. the 784 pixels of a 28×28 grey
    /// image): input normalisation, convolution blocks (convolution, batch normalisation, ReLU, max pool), a flatten or
    /// global average pool, then the student's hidden layers and head. Batch normalisation is folded into the
    /// convolutions for export (docs/students.md).
    /// </summary>
    /// <param name="options">The image shape (required) and the blocks.</param>
    /// <exception cref="ArgumentException">An option is out of range, or the blocks leave no pixel of the image.</exception>
    public static StudentArchitecture Cnn(CnnOptions options) => new CnnArchitecture(options);

    /// <summary>
    /// Your own TorchSharp module as the body (docs/students.md, "Bring your own module"): <paramref name="createBody"/>
    /// gets the feature column's width and returns a fresh module mapping float rows [batch, width] to features
    /// [batch, n]; the student's hidden layers and head follow, and the whole student trains in the same loop with the same
    /// losses (initialisation under the fit's seed). The module must be made of layers that export to ONNX — a
    /// <c>Sequential</c> (nested too) of <c>Linear</c>, <c>Conv1d</c>/<c>Conv2d</c>, <c>BatchNorm1d</c>/<c>BatchNorm2d</c>,
    /// <c>LayerNorm</c>, ReLU/LeakyReLU/GELU/SiLU/Tanh/Sigmoid, max/average pools, <c>Flatten</c>/<c>Unflatten</c>,
    /// dropout and <c>Identity</c>; anything else (a module with its own <c>forward</c>, an embedding, attention) is refused
    /// when the fit starts, before any epoch, naming the module.
    /// </summary>
    /// <param name="createBody">Makes the module for the given input width (values per row of the feature column).</param>
    /// <param name="name">A name for descriptions and reports (optional).</param>
    public static StudentArchitecture Custom(Func<int, nn.Module<Tensor, Tensor>> createBody, string? name = null) => new CustomArchitecture(createBody, name);

    /// <inheritdoc />
    public override string ToString() => Describe();
}
