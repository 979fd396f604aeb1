using MLNet.Distillation.Export;

namespace MLNet.Distillation.Students;

/// <summary>
/// A trained student's body (<see cref="StudentNetwork.Body"/>) as plain weights, independent of TorchSharp: what maps
/// the raw input to the features the student's dense layers read. It is compiled into the student's ONNX graph in front
/// of those layers.
/// </summary>
public abstract class StudentBody
{
    /// <summary>Only this library defines bodies.</summary>
    internal StudentBody()
    {
    }

    /// <summary>Values per row of the raw input (pixels, token positions).</summary>
    public abstract int InputSize { get; }

    /// <summary>Width of the features the body produces.</summary>
    public abstract int OutputWidth { get; }

    /// <summary>Trainable parameters of the body, as trained (before any folding for inference).</summary>
    public abstract long ParameterCount { get; }

    /// <summary>A short description, e.g. <c>cnn 1×28×28 [16c3-p2, 32c3-p2]</c>.</summary>
    public abstract string Describe();

    /// <summary>A TorchSharp module holding these weights, in evaluation mode (parity checks, warm starts, mean teachers).</summary>
    internal abstract StudentBodyModule ToModule();

    /// <summary>
    /// Adds the body's nodes to <paramref name="graph"/>, reading <paramref name="input"/> (float [batch, <see cref="InputSize"/>]),
    /// and returns the name of its output, float [batch, <see cref="OutputWidth"/>]. Names of the nodes and initializers
    /// it adds start with <c>body.</c>; the dense layers' names (<c>layer{i}.weight</c>) are left to the exporter.
    /// </summary>
    internal abstract string EmitOnnx(OnnxGraphBuilder graph, string input);

    /// <inheritdoc />
    public override string ToString() => Describe();
}
