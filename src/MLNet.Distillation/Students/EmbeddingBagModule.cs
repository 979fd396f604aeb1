using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Distillation.Students;

/// <summary>
/// The embedding-bag body in TorchSharp: [B, MaxTokens] float ids (0 = padding) → the mean of the row's token embeddings
/// and, with bigram buckets, of its hashed bigram embeddings, [B, Dimension]. A row of padding only gives zeros.
/// </summary>
internal sealed class EmbeddingBagModule : StudentBodyModule
{
    /// <summary>Multiplier of the first id in a bigram's bucket, <c>(a · BigramPrime + b) mod buckets</c>.</summary>
    public const long BigramPrime = 1_000_003;

    private readonly Embedding tokens;
    private readonly Embedding? bigrams;
    private readonly int _maxTokens, _dimension, _buckets;

    public EmbeddingBagModule(int vocabulary, int maxTokens, int dimension, int buckets) : base(nameof(EmbeddingBagModule))
    {
        if (vocabulary < 2) throw new ArgumentOutOfRangeException(nameof(vocabulary), vocabulary, "The vocabulary holds the padding id 0 and at least one token.");
        _maxTokens = maxTokens;
        _dimension = dimension;
        _buckets = buckets;
        tokens = nn.Embedding(vocabulary, dimension);
        if (buckets > 0) bigrams = nn.Embedding(buckets, dimension);
        using (no_grad())
        {
            nn.init.normal_(tokens.weight!, 0, InitialStd);
            if (bigrams is not null) nn.init.normal_(bigrams.weight!, 0, InitialStd);
        }
        RegisterComponents();
    }

    /// <summary>Standard deviation of the initial embeddings.</summary>
    public const double InitialStd = 0.1;

    public override int OutputWidth => _dimension;

    public override long MultiplyAddsPerRow => (long)(_buckets > 0 ? 2 * _maxTokens - 1 : _maxTokens) * _dimension;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var ids = x.to_type(ScalarType.Int64);
        var mask = ids.gt(0).to_type(ScalarType.Float32);
        var sum = (tokens.forward(ids) * mask.unsqueeze(-1)).sum(1);
        var count = mask.sum(1, keepdim: true);
        if (bigrams is not null)
        {
            var first = ids.narrow(1, 0, _maxTokens - 1);
            var next = ids.narrow(1, 1, _maxTokens - 1);
            var pairMask = first.gt(0).logical_and(next.gt(0)).to_type(ScalarType.Float32);
            var buckets = (first * BigramPrime + next).remainder(_buckets);
            sum = sum + (bigrams.forward(buckets) * pairMask.unsqueeze(-1)).sum(1);
            count = count + pairMask.sum(1, keepdim: true);
        }
        return (sum / count.clamp_min(1)).MoveToOuterDisposeScope();
    }

    public override StudentBody ToBody()
    {
        using var _ = no_grad();
        return new EmbeddingBagBody(_maxTokens, (int)tokens.weight!.shape[0], _dimension, Values(tokens.weight),
            _buckets, bigrams is null ? null : Values(bigrams.weight!));
    }

    private static float[] Values(Tensor t) => t.detach().cpu().data<float>().ToArray();

    /// <summary>A module holding <paramref name="body"/>'s weights.</summary>
    public static EmbeddingBagModule From(EmbeddingBagBody body)
    {
        var m = new EmbeddingBagModule(body.VocabularySize, body.MaxTokens, body.Dimension, body.BigramBuckets);
        using var _ = no_grad();
        m.tokens.weight!.copy_(tensor(body.Embeddings).reshape(body.VocabularySize, body.Dimension));
        if (m.bigrams is not null) m.bigrams.weight!.copy_(tensor(body.BigramEmbeddings!).reshape(body.BigramBuckets, body.Dimension));
        m.eval();
        return m;
    }
}
