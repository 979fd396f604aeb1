using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Distillation.Students;

/// <summary>
/// The 1-D convolutional text body in TorchSharp: [B, MaxTokens] float ids (0 = padding) → token embeddings (zero at
/// padding) → per kernel size k a convolution over time, the sequence padded with k − 1 zero positions on the right so
/// that every token starts a window → ReLU → max over the windows that start at a token → the pooled filters of all
/// kernels concatenated, [B, Filters · kernels]. A row of padding only gives zeros; more padding after the last token
/// changes nothing.
/// </summary>
internal sealed class TextCnnModule : StudentBodyModule
{
    private readonly Embedding tokens;
    private readonly ModuleList<Conv1d> convolutions;
    private readonly int[] _kernels;
    private readonly int _maxTokens, _dimension, _filters;

    public TextCnnModule(int vocabulary, int maxTokens, int dimension, IReadOnlyList<int> kernels, int filters) : base(nameof(TextCnnModule))
    {
        if (vocabulary < 2) throw new ArgumentOutOfRangeException(nameof(vocabulary), vocabulary, "The vocabulary holds the padding id 0 and at least one token.");
        _maxTokens = maxTokens;
        _dimension = dimension;
        _filters = filters;
        _kernels = kernels.ToArray();
        tokens = nn.Embedding(vocabulary, dimension);
        using (no_grad()) nn.init.normal_(tokens.weight!, 0, EmbeddingBagModule.InitialStd);
        convolutions = new ModuleList<Conv1d>();
        foreach (var k in _kernels) convolutions.Add(nn.Conv1d(dimension, filters, k));
        RegisterComponents();
    }

    public override int OutputWidth => _filters * _kernels.Length;

    public override long MultiplyAddsPerRow => _kernels.Sum(k => (long)_filters * _dimension * k * _maxTokens);

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var ids = x.to_type(ScalarType.Int64);
        var mask = ids.gt(0).to_type(ScalarType.Float32);
        var embedded = (tokens.forward(ids) * mask.unsqueeze(-1)).transpose(1, 2);   // [B, D, M]
        var starts = mask.unsqueeze(1);                                                // [B, 1, M]
        var pooled = new Tensor[_kernels.Length];
        for (int i = 0; i < _kernels.Length; i++)
        {
            var padded = nn.functional.pad(embedded, [0, _kernels[i] - 1]);
            var activations = nn.functional.relu(convolutions[i].forward(padded)) * starts;   // ReLU ≥ 0, so a masked 0 never wins over a real window
            pooled[i] = activations.amax([2]);
        }
        return (pooled.Length == 1 ? pooled[0] : cat(pooled, 1)).MoveToOuterDisposeScope();
    }

    public override StudentBody ToBody()
    {
        using var _ = no_grad();
        var layers = convolutions.Select(c => new TextConvolution(Values(c.weight!), Values(c.bias!), _dimension, (int)c.weight!.shape[2], _filters)).ToArray();
        return new TextCnnBody(_maxTokens, (int)tokens.weight!.shape[0], _dimension, Values(tokens.weight), layers);
    }

    private static float[] Values(Tensor t) => t.detach().cpu().data<float>().ToArray();

    /// <summary>A module holding <paramref name="body"/>'s weights.</summary>
    public static TextCnnModule From(TextCnnBody body)
    {
        var m = new TextCnnModule(body.VocabularySize, body.MaxTokens, body.Dimension, body.Convolutions.Select(c => c.KernelSize).ToArray(), body.Convolutions[0].Filters);
        using var _ = no_grad();
        m.tokens.weight!.copy_(tensor(body.Embeddings).reshape(body.VocabularySize, body.Dimension));
        for (int i = 0; i < body.Convolutions.Count; i++)
        {
            var c = body.Convolutions[i];
            m.convolutions[i].weight!.copy_(tensor(c.Weights).reshape(c.Filters, c.Channels, c.KernelSize));
            m.convolutions[i].bias!.copy_(tensor(c.Bias));
        }
        m.eval();
        return m;
    }
}
