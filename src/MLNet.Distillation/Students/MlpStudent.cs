using MLNet.Distillation.Losses;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Distillation.Students;

/// <summary>
/// The TorchSharp network a student trains as: an optional body (a CNN, a text encoder: <see cref="StudentBodyModule"/>)
/// or optional fixed input standardisation, hidden Linear layers with an activation and dropout, a linear classification
/// head, and any extra heads the loss asks for (on the penultimate activations). Prediction uses the main head only.
/// </summary>
internal sealed class MlpStudent : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<Linear> hidden;
    private readonly Linear head;
    private readonly ModuleDict<Linear> extraHeads;
    private readonly List<string> _extraHeadNames = new();
    private readonly Tensor? mean;
    private readonly Tensor? scale;
    private readonly StudentActivation _activation;
    private readonly double _dropout;
    private readonly int _inputSize;
    private readonly StudentBodyModule? body;

    /// <param name="inputSize">Width of the dense layers' input: the features, or the body's output.</param>
    /// <param name="hiddenLayers">Hidden widths.</param>
    /// <param name="numClasses">Width of the head.</param>
    /// <param name="activation">Activation of the hidden layers.</param>
    /// <param name="dropout">Dropout after each hidden layer.</param>
    /// <param name="extraHeadRequests">Extra heads the loss asks for.</param>
    /// <param name="featureMean">Standardisation of the features (null: none; must be null with a body).</param>
    /// <param name="featureScale">Standardisation of the features (null: none; must be null with a body).</param>
    /// <param name="bodyModule">The body applied first (null: a plain MLP); the student owns it.</param>
    public MlpStudent(int inputSize, IReadOnlyList<int> hiddenLayers, int numClasses, StudentActivation activation, double dropout,
        IEnumerable<StudentHead> extraHeadRequests, float[]? featureMean, float[]? featureScale, StudentBodyModule? bodyModule = null) : base("MlpStudent")
    {
        if (bodyModule is not null && bodyModule.OutputWidth != inputSize)
            throw new ArgumentException($"The body gives {bodyModule.OutputWidth} features, but the dense layers read {inputSize}.", nameof(inputSize));
        if (bodyModule is not null && featureMean is not null)
            throw new ArgumentException("A student with a body has no feature standardisation of its own.", nameof(featureMean));
        _inputSize = inputSize;
        body = bodyModule;
        _activation = activation;
        _dropout = dropout;
        hidden = new ModuleList<Linear>();
        int width = inputSize;
        foreach (var h in hiddenLayers)
        {
            hidden.Add(nn.Linear(width, h));
            width = h;
        }
        head = nn.Linear(width, numClasses);
        extraHeads = new ModuleDict<Linear>();
        foreach (var r in extraHeadRequests)
        {
            // TorchSharp module names cannot contain '.', which head names like "uskd.weak" do; the dictionary keeps the loss's name.
            extraHeads.Add(($"head{_extraHeadNames.Count}", nn.Linear(width, r.Outputs > 0 ? r.Outputs : numClasses)));
            _extraHeadNames.Add(r.Name);
        }
        if (featureMean is not null && featureScale is not null)
        {
            mean = tensor(featureMean).reshape(1, inputSize);
            scale = tensor(featureScale).reshape(1, inputSize);
        }
        RegisterComponents();
    }

    /// <summary>Penultimate activations (input of the heads).</summary>
    public Tensor Features(Tensor x) => Layers(x, null);

    /// <summary>
    /// Runs the body (if any) and the hidden layers and returns the penultimate activations; adds each hidden layer's
    /// output (after its activation and dropout: what the next layer reads) to <paramref name="layers"/> when it is given.
    /// </summary>
    public Tensor Layers(Tensor x, List<Tensor>? layers)
    {
        if (body is not null) x = body.forward(x);
        if (mean is not null) x = (x - mean) * scale!;
        foreach (var layer in hidden)
        {
            x = Activate(layer.forward(x));
            if (_dropout > 0) x = nn.functional.dropout(x, _dropout, training);
            layers?.Add(x);
        }
        return x;
    }

    /// <summary>The body applied before the dense layers; null for a plain MLP.</summary>
    public StudentBodyModule? Body => body;

    /// <summary>Width of the first dense layer's input: the features, or the body's output.</summary>
    public int DenseInputWidth => _inputSize;

    /// <summary>Widths of the hidden layers' outputs, in order.</summary>
    public IReadOnlyList<int> LayerWidths => hidden.Select(l => (int)l.weight!.shape[0]).ToArray();

    /// <summary>Width of the penultimate activations (the last hidden layer, or the inputs without one).</summary>
    public int PenultimateWidth => hidden.Count == 0 ? _inputSize : (int)hidden[^1].weight!.shape[0];

    /// <summary>The main head applied to penultimate activations.</summary>
    public Tensor Head(Tensor features) => head.forward(features);

    /// <summary>Outputs of the extra heads.</summary>
    public Dictionary<string, Tensor> ExtraHeads(Tensor features)
    {
        var result = new Dictionary<string, Tensor>();
        for (int i = 0; i < extraHeads.Count; i++)
        {
            result[_extraHeadNames[i]] = extraHeads[i].Item2.forward(features);
        }
        return result;
    }

    public override Tensor forward(Tensor x) => head.forward(Features(x));

    private Tensor Activate(Tensor x) => _activation switch
    {
        StudentActivation.Relu => nn.functional.relu(x),
        StudentActivation.Gelu => nn.functional.gelu(x),
        StudentActivation.Tanh => x.tanh(),
        StudentActivation.Silu => nn.functional.silu(x),
        _ => throw new ArgumentOutOfRangeException(nameof(x), _activation, "Unknown activation."),
    };

    /// <summary>Copies the weights out of TorchSharp into a <see cref="StudentNetwork"/>.</summary>
    public StudentNetwork ToNetwork()
    {
        using var _ = no_grad();
        var layers = hidden.Append(head).Select(l => new DenseLayer(
            l.weight!.detach().cpu().data<float>().ToArray(), l.bias!.detach().cpu().data<float>().ToArray(),
            (int)l.weight.shape[1], (int)l.weight.shape[0])).ToList();
        var trainedBody = body?.ToBody();
        return new StudentNetwork(trainedBody?.InputSize ?? _inputSize, layers, _activation,
            mean?.cpu().data<float>().ToArray(), scale?.cpu().data<float>().ToArray(), body: trainedBody);
    }

    /// <summary>Builds a module holding the weights of <paramref name="network"/> (for parity checks and warm starts).</summary>
    public static MlpStudent FromNetwork(StudentNetwork network)
    {
        var m = new MlpStudent(network.Body?.OutputWidth ?? network.InputSize, network.HiddenLayers, network.NumClasses, network.Activation, 0, [],
            network.FeatureMean, network.FeatureScale, network.Body?.ToModule());
        using var _ = no_grad();
        var linears = m.hidden.Append(m.head).ToArray();
        for (int i = 0; i < linears.Length; i++)
        {
            var l = network.Layers[i];
            linears[i].weight!.copy_(tensor(l.Weights).reshape(l.Outputs, l.Inputs));
            linears[i].bias!.copy_(tensor(l.Bias));
        }
        return m;
    }
}
