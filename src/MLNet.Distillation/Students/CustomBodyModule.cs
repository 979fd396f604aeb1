using static TorchSharp.torch;

namespace MLNet.Distillation.Students;

/// <summary>
/// A bring-your-own TorchSharp module as a student's body (<see cref="StudentArchitecture.Custom"/>): the user's module
/// itself, trained as it is (its own forward, dropout and batch statistics), read into a <see cref="CustomBody"/> —
/// plain weights in inference form — when the fit takes the student out of TorchSharp.
/// </summary>
internal sealed class CustomBodyModule : StudentBodyModule
{
    private readonly nn.Module<Tensor, Tensor> body;
    private readonly IReadOnlyList<CustomModuleReader.Leaf> _leaves;
    private readonly long[][] _shapes;
    private readonly string? _name;

    /// <summary>Checks the module (every layer exports; rows in, [batch, features] out) and takes ownership of it.</summary>
    /// <exception cref="NotSupportedException">A layer has no ONNX form here (named with its path and type).</exception>
    /// <exception cref="ArgumentException">The module fails on rows of <paramref name="inputWidth"/> values or does not end in [batch, features].</exception>
    public CustomBodyModule(nn.Module<Tensor, Tensor> module, int inputWidth, string? name) : base("CustomBody")
    {
        body = module;
        _name = name;
        _leaves = CustomModuleReader.Leaves(module);
        _shapes = CustomModuleReader.Shapes(module, _leaves, inputWidth);
        OutputWidth = (int)_shapes[^1][0];
        MultiplyAddsPerRow = CustomModuleReader.MultiplyAdds(_leaves, _shapes);
        RegisterComponents();
    }

    public override int OutputWidth { get; }

    public override long MultiplyAddsPerRow { get; }

    public override Tensor forward(Tensor x) => body.forward(x);

    public override StudentBody ToBody()
        => new CustomBody((int)_shapes[0][0], OutputWidth, CustomModuleReader.ToLayers(_leaves, _shapes), body.parameters().Sum(p => p.numel()), _name);
}
