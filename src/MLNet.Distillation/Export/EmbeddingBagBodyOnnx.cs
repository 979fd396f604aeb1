using MLNet.Distillation.Students;

namespace MLNet.Distillation.Export;

/// <summary>
/// The embedding-bag body in ONNX (<see cref="EmbeddingBagBody"/>): the ids (<see cref="TokenIdsOnnx"/>), <c>Gather</c> on
/// the embedding table, the masked sum over positions divided by the number of tokens (at least 1); with bigram buckets,
/// the bucket of each pair of neighbouring tokens computed in the graph — <c>(a · 1,000,003 + b) mod buckets</c> in
/// int64 — and its embeddings added to the sum and counted. Output float [batch, Dimension].
/// </summary>
internal static class EmbeddingBagBodyOnnx
{
    public static string Emit(OnnxGraphBuilder g, EmbeddingBagBody body, string input)
    {
        var (ids, mask) = TokenIdsOnnx.Prepare(g, input, body.MaxTokens, body.VocabularySize);
        var table = g.AddInitializer("body.embeddings", body.Embeddings, body.VocabularySize, body.Dimension);
        var sum = MaskedSum(g, table, ids, mask, "body.tokens");
        var count = g.AddNode("ReduceSum", [mask, g.AddConstant("body.count_axis", [1L], 1)], "body.token_count", ("keepdims", 1L));
        if (body.BigramEmbeddings is { } bigrams)
        {
            long m = body.MaxTokens;
            var axis = g.AddConstant("body.pair_axis", [1L], 1);
            var first = g.AddNode("Slice", [ids, g.AddConstant("body.first_start", [0L], 1), g.AddConstant("body.first_end", [m - 1], 1), axis], "body.pair_first");
            var next = g.AddNode("Slice", [ids, g.AddConstant("body.next_start", [1L], 1), g.AddConstant("body.next_end", [m], 1), axis], "body.pair_next");
            var zero = g.AddConstant("body.pair_zero", [0L], 1);
            var both = g.AddNode("And", [g.AddNode("Greater", [first, zero], "body.first_is_token"), g.AddNode("Greater", [next, zero], "body.next_is_token")], "body.pair_is_bigram");
            var pairMask = g.AddNode("Cast", [both], "body.pair_mask", ("to", (long)OnnxElementType.Float));
            var hashed = g.AddNode("Add", [g.AddNode("Mul", [first, g.AddConstant("body.bigram_prime", [EmbeddingBagModule.BigramPrime], 1)], "body.pair_scaled"), next], "body.pair_hash");
            var bucket = g.AddNode("Mod", [hashed, g.AddConstant("body.bigram_buckets", [(long)body.BigramBuckets], 1)], "body.pair_bucket");
            var bigramTable = g.AddInitializer("body.bigram_embeddings", bigrams, body.BigramBuckets, body.Dimension);
            sum = g.AddNode("Add", [sum, MaskedSum(g, bigramTable, bucket, pairMask, "body.bigrams")], "body.sum_with_bigrams");
            count = g.AddNode("Add", [count, g.AddNode("ReduceSum", [pairMask, g.AddConstant("body.pair_count_axis", [1L], 1)], "body.pair_count", ("keepdims", 1L))], "body.count_with_bigrams");
        }
        var divisor = g.AddNode("Max", [count, g.AddConstant("body.one", [1f], 1)], "body.divisor");
        return g.AddNode("Div", [sum, divisor], "body.output");
    }

    /// <summary>Σ over positions of the embeddings of <paramref name="ids"/> where <paramref name="mask"/> is 1: float [batch, D].</summary>
    internal static string MaskedSum(OnnxGraphBuilder g, string table, string ids, string mask, string name)
    {
        var gathered = g.AddNode("Gather", [table, ids], name + ".embedded", ("axis", 0L));
        var mask3 = g.AddNode("Unsqueeze", [mask, g.AddConstant(name + ".mask_axis", [2L], 1)], name + ".mask3");
        var masked = g.AddNode("Mul", [gathered, mask3], name + ".masked");
        return g.AddNode("ReduceSum", [masked, g.AddConstant(name + ".sum_axis", [1L], 1)], name + ".sum", ("keepdims", 0L));
    }
}
