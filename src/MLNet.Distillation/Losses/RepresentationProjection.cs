using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// The projection of a hint loss (<see cref="HintProjection"/>): nothing, a linear layer, or linear → ReLU → linear, from
/// a student layer of width <see cref="InputWidth"/> to a teacher embedding of width <see cref="OutputWidth"/>. Its
/// parameters belong to the loss, never to the exported student.
/// </summary>
internal sealed class RepresentationProjection : IDisposable
{
    private Linear? _first, _second;

    private RepresentationProjection(HintProjection kind, int inputWidth, int outputWidth)
    {
        Kind = kind;
        InputWidth = inputWidth;
        OutputWidth = outputWidth;
        if (kind == HintProjection.Linear) _first = nn.Linear(inputWidth, outputWidth, hasBias: true);
        else if (kind == HintProjection.Mlp)
        {
            _first = nn.Linear(inputWidth, outputWidth, hasBias: true);
            _second = nn.Linear(outputWidth, outputWidth, hasBias: true);
        }
    }

    /// <summary>The kind of map.</summary>
    public HintProjection Kind { get; }

    /// <summary>Width of the student layer it reads.</summary>
    public int InputWidth { get; }

    /// <summary>Width of the teacher embedding it produces.</summary>
    public int OutputWidth { get; }

    /// <summary>Creates the projection, refusing <see cref="HintProjection.None"/> between different widths.</summary>
    /// <param name="kind">The kind of map.</param>
    /// <param name="inputWidth">Student layer width.</param>
    /// <param name="outputWidth">Teacher embedding width.</param>
    /// <param name="what">The loss and the layer/column it maps, for messages.</param>
    public static RepresentationProjection Create(HintProjection kind, int inputWidth, int outputWidth, string what)
    {
        if (kind == HintProjection.None && inputWidth != outputWidth)
            throw new ArgumentException(
                $"{what}: the student layer has {inputWidth} units but the teacher embedding has {outputWidth}; with HintProjection.None " +
                "they must be equal. Use HintProjection.Linear (or Mlp) to learn a projection, or pick a student layer of that width.", "projection");
        return new RepresentationProjection(kind, inputWidth, outputWidth);
    }

    /// <summary>Maps a student layer [B, InputWidth] to [B, OutputWidth].</summary>
    public Tensor Forward(Tensor x)
    {
        if (x.ndim != 2 || x.shape[1] != InputWidth)
            throw new ArgumentException($"The projection was bound to a student layer of {InputWidth} units, but got a tensor of shape [{string.Join(", ", x.shape)}].", nameof(x));
        if (_first is null) return x;
        var h = _first.forward(x);
        return _second is null ? h : _second.forward(nn.functional.relu(h));
    }

    /// <summary>The trainable parameters in order: first weight and bias, then (MLP) second weight and bias.</summary>
    public IEnumerable<Parameter> Parameters()
    {
        if (_first is not null) { yield return _first.weight!; yield return _first.bias!; }
        if (_second is not null) { yield return _second.weight!; yield return _second.bias!; }
    }

    /// <summary>Moves the parameters to a device.</summary>
    public void To(Device device)
    {
        _first?.to(device);
        _second?.to(device);
    }

    /// <summary>Converts the parameters to another element type (tests in float64).</summary>
    public void To(ScalarType dtype)
    {
        _first?.to(dtype);
        _second?.to(dtype);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _first?.Dispose();
        _second?.Dispose();
        _first = _second = null;
    }
}
