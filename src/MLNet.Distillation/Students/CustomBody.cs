using MLNet.Distillation.Export;

namespace MLNet.Distillation.Students;

/// <summary>
/// A trained bring-your-own body (<see cref="StudentArchitecture.Custom"/>) as plain weights, independent of TorchSharp:
/// the user's layers in inference form (dropout dropped, batch normalisation folded into the convolution or linear
/// layer before it), compiled into the student's ONNX graph in front of its dense layers.
/// </summary>
public sealed class CustomBody : StudentBody
{
    private readonly long _trainedParameters;
    private readonly string? _name;

    internal CustomBody(int inputSize, int outputWidth, IReadOnlyList<CustomLayer> layers, long trainedParameters, string? name)
    {
        if (inputSize < 1 || outputWidth < 1) throw new ArgumentException($"A custom body needs a positive input size and output width, not {inputSize} and {outputWidth}.");
        InputSize = inputSize;
        OutputWidth = outputWidth;
        Layers = layers;
        _trainedParameters = trainedParameters;
        _name = name;
    }

    /// <summary>The layers in inference form, in order.</summary>
    internal IReadOnlyList<CustomLayer> Layers { get; }

    /// <inheritdoc />
    public override int InputSize { get; }

    /// <inheritdoc />
    public override int OutputWidth { get; }

    /// <summary>Parameters of the module as trained (batch normalisation's scale and shift included).</summary>
    public override long ParameterCount => _trainedParameters;

    /// <summary>Numbers the exported graph holds for the body (folded weights and biases, unfolded batch normalisations' statistics).</summary>
    public long InferenceParameterCount => Layers.Sum(l => l.InferenceParameters);

    /// <summary>"custom [conv2d 1→8 k3×3, relu, maxpool2d k2×2, flatten, linear 1568→64]", with the name given to the factory first.</summary>
    public override string Describe() => $"custom{(_name is null ? "" : " " + _name)} [{string.Join(", ", Layers.Select(l => l.Describe()))}]";

    internal override StudentBodyModule ToModule() => new CustomInferenceModule(this);

    internal override string EmitOnnx(OnnxGraphBuilder graph, string input) => CustomBodyOnnx.Emit(graph, this, input);
}
