using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Students;

/// <summary>Activation between the hidden layers of an MLP student.</summary>
public enum StudentActivation
{
    /// <summary>max(0, x).</summary>
    Relu,
    /// <summary>Gaussian error linear unit, exact erf form: x·Φ(x).</summary>
    Gelu,
    /// <summary>Hyperbolic tangent.</summary>
    Tanh,
    /// <summary>x·sigmoid(x) (swish).</summary>
    Silu,
}

/// <summary>A fully connected layer: <c>y = x·Wᵀ + b</c>, with <see cref="Weights"/> row-major [Outputs, Inputs].</summary>
/// <param name="Weights">Row-major weights, <c>Outputs × Inputs</c> values.</param>
/// <param name="Bias">Bias, <c>Outputs</c> values.</param>
/// <param name="Inputs">Input width.</param>
/// <param name="Outputs">Output width.</param>
public sealed record DenseLayer(float[] Weights, float[] Bias, int Inputs, int Outputs);

/// <summary>
/// The trained student's weights as plain arrays, independent of TorchSharp: optional input standardisation, the hidden
/// layers and the classification head. This is what is exported to ONNX and what the ML.NET model scores with.
/// </summary>
public sealed class StudentNetwork
{
    /// <summary>Creates a network description.</summary>
    /// <param name="inputSize">Number of input features.</param>
    /// <param name="layers">Hidden layers followed by the output layer (the head).</param>
    /// <param name="activation">Activation after every hidden layer.</param>
    /// <param name="featureMean">Per-feature mean subtracted first, or null for none.</param>
    /// <param name="featureScale">Per-feature factor applied after the mean, or null for none.</param>
    /// <param name="task">What the outputs mean (default multiclass: one logit per class).</param>
    /// <param name="outputsThroughSigmoid">Regression only: the prediction is the sigmoid of the output layer (a loss whose targets lie in [0, 1]).</param>
    /// <param name="body">What turns the raw input into the first layer's inputs (a CNN, a text encoder, …); null for a plain MLP.</param>
    public StudentNetwork(int inputSize, IReadOnlyList<DenseLayer> layers, StudentActivation activation, float[]? featureMean, float[]? featureScale,
        DistillationTask task = DistillationTask.MulticlassClassification, bool outputsThroughSigmoid = false, StudentBody? body = null)
    {
        if (layers.Count == 0) throw new ArgumentException("A student needs at least its output layer.", nameof(layers));
        if (body is not null && body.InputSize != inputSize)
            throw new ArgumentException($"The body ({body.Describe()}) reads {body.InputSize} values per row, but the network's input size is {inputSize}.", nameof(inputSize));
        if (body is not null && featureMean is not null)
            throw new ArgumentException($"A student with a body ({body.Describe()}) has no feature standardisation of its own: the body normalises its input.", nameof(featureMean));
        int width = body?.OutputWidth ?? inputSize;
        foreach (var l in layers)
        {
            if (l.Inputs != width || l.Weights.Length != l.Inputs * l.Outputs || l.Bias.Length != l.Outputs)
                throw new ArgumentException($"Layer shapes do not chain: expected {width} inputs, got a {l.Inputs}→{l.Outputs} layer with {l.Weights.Length} weights.", nameof(layers));
            width = l.Outputs;
        }
        if ((featureMean is null) != (featureScale is null) || (featureMean is not null && (featureMean.Length != inputSize || featureScale!.Length != inputSize)))
            throw new ArgumentException("Feature mean and scale must both be given, with one value per input feature, or both be null.");
        if (task == DistillationTask.BinaryClassification && width != 1 || task == DistillationTask.Ranking && width != 1)
            throw new ArgumentException($"A {task} student has one output (a logit or a score), not {width}.", nameof(layers));
        if (outputsThroughSigmoid && task != DistillationTask.Regression)
            throw new ArgumentException("Only a regression student predicts through a sigmoid.", nameof(outputsThroughSigmoid));
        InputSize = inputSize;
        Layers = layers;
        Task = task;
        OutputsThroughSigmoid = outputsThroughSigmoid;
        Body = body;
        Activation = activation;
        FeatureMean = featureMean;
        FeatureScale = featureScale;
    }

    /// <summary>Number of input values per row (features; with a <see cref="Body"/>, its raw input: pixels, token positions).</summary>
    public int InputSize { get; }

    /// <summary>What turns the raw input into the first dense layer's inputs (a CNN, a text encoder, …); null for a plain MLP.</summary>
    public StudentBody? Body { get; }

    /// <summary>Hidden layers then the output layer.</summary>
    public IReadOnlyList<DenseLayer> Layers { get; }

    /// <summary>Activation after each hidden layer.</summary>
    public StudentActivation Activation { get; }

    /// <summary>Mean subtracted from each feature (null: no standardisation).</summary>
    public float[]? FeatureMean { get; }

    /// <summary>Factor (1/std) applied to each centred feature (null: no standardisation).</summary>
    public float[]? FeatureScale { get; }

    /// <summary>What the outputs mean: class logits (multiclass), one logit (binary), the predicted values (regression), one score (ranking), an embedding.</summary>
    public DistillationTask Task { get; }

    /// <summary>Regression only: whether the prediction is the sigmoid of the output layer rather than the output layer itself.</summary>
    public bool OutputsThroughSigmoid { get; }

    /// <summary>Width of the output layer: the classes (multiclass), 1 (binary, ranking) or the outputs (regression).</summary>
    public int NumClasses => Layers[^1].Outputs;

    /// <summary>Trainable parameters (weights and biases, the body's included).</summary>
    public long ParameterCount => Layers.Sum(l => (long)l.Weights.Length + l.Bias.Length) + (Body?.ParameterCount ?? 0);

    /// <summary>Hidden widths, e.g. [128] for a 784-128-10 network.</summary>
    public IReadOnlyList<int> HiddenLayers => Layers.Take(Layers.Count - 1).Select(l => l.Outputs).ToArray();

    /// <summary>"784-128-10" style description; with a body, the body's description then the dense widths ("cnn 1×28×28 [16c3-p2]-128-10").</summary>
    public override string ToString() => Body is null
        ? string.Join("-", new[] { InputSize }.Concat(Layers.Select(l => l.Outputs)))
        : string.Join("-", new[] { Body.Describe() }.Concat(Layers.Select(l => l.Outputs.ToString(System.Globalization.CultureInfo.InvariantCulture))));
}
