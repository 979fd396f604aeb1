using MLNet.Distillation.Losses;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Distillation.Students;

/// <summary>
/// The TorchSharp multilayer perceptron a student trains as: optional fixed input standardisation, hidden Linear
/// layers with an activation and dropout, a linear classification head, and any extra heads the loss asks for
/// (on the penultimate activations). Prediction uses the main head only.
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

    public MlpStudent(int inputSize, IReadOnlyList<int> hiddenLayers, int numClasses, StudentActivation activation, double dropout,
        IEnumerable<StudentHead> extraHeadRequests, float[]? featureMean, float[]? featureScale) : base("MlpStudent")
    {
        _inputSize = inputSize;
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
    /// Runs the hidden layers and returns the penultimate activations; adds each hidden layer's output (after its
    /// activation and dropout: what the next layer reads) to <paramref name="layers"/> when it is given.
    /// </summary>
    public Tensor Layers(Tensor x, List<Tensor>? layers)
    {
        if (mean is not null) x = (x - mean) * scale!;
        foreach (var layer in hidden)
        {
            x = Activate(layer.forward(x));
            if (_dropout > 0) x = nn.functional.dropout(x, _dropout, training);
            layers?.Add(x);
        }
        return x;
    }

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
        return new StudentNetwork(_inputSize, layers, _activation,
            mean?.cpu().data<float>().ToArray(), scale?.cpu().data<float>().ToArray());
    }

    /// <summary>Builds a module holding the weights of <paramref name="network"/> (for parity checks and warm starts).</summary>
    public static MlpStudent FromNetwork(StudentNetwork network)
    {
        var m = new MlpStudent(network.InputSize, network.HiddenLayers, network.NumClasses, network.Activation, 0, [], network.FeatureMean, network.FeatureScale);
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
