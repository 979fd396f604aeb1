using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Students;

/// <summary>A bring-your-own TorchSharp body (<see cref="StudentArchitecture.Custom"/>): the factory that makes the module for the fit's input width.</summary>
internal sealed class CustomArchitecture : StudentArchitecture
{
    private readonly Func<int, nn.Module<Tensor, Tensor>> _createBody;
    private readonly string? _name;

    public CustomArchitecture(Func<int, nn.Module<Tensor, Tensor>> createBody, string? name)
    {
        ArgumentNullException.ThrowIfNull(createBody);
        _createBody = createBody;
        _name = string.IsNullOrWhiteSpace(name) ? null : name;
    }

    public override string Describe() => _name is null ? "custom" : $"custom {_name}";

    internal override StudentBodyModule Create(BodyContext context)
    {
        var module = _createBody(context.InputWidth)
            ?? throw new InvalidOperationException($"The custom student body factory returned null for an input width of {context.InputWidth}; return the TorchSharp module to train.");
        try
        {
            return new CustomBodyModule(module, context.InputWidth, _name);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }
}
