using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// A relationship-graph loss in the spirit of TRG (Zhang, Liu and He, "Knowledge Distillation via Token-level Relationship
/// Graph", arXiv 2306.12442): the rows of a batch are the nodes, edges are cosine similarities, and each node's edges,
/// softened by a temperature τ into a distribution over the other rows, q_i(j) = softmax_{j≠i}(cos(x_i, x_j)/τ), should
/// match the teacher's: term <c>relation-graph</c> = mean_i KL(q_i^teacher ‖ q_i^student). TRG builds its graphs over the
/// tokens (patches) of each image together with a contextual loss; this sample-level form keeps its relation-matching
/// part for vector representations, and is not a reproduction of TRG. Batches of one or two rows give zero (a row's
/// distribution over one neighbour is trivial). O(B²·D) time and O(B²) memory.
/// </summary>
public sealed class RelationGraphLoss : RelationalLoss
{
    /// <summary>Creates the loss; see <see cref="DistillationLoss.RelationGraph"/>.</summary>
    /// <param name="teacherColumn">Extra teacher column, or null (default) for the teacher's outputs.</param>
    /// <param name="studentLayer">Student hidden layer (default −1, the last).</param>
    /// <param name="temperature">Temperature τ of the edge softmax (default 0.1).</param>
    public RelationGraphLoss(string? teacherColumn = null, int studentLayer = -1, double temperature = 0.1) : base(teacherColumn, studentLayer)
        => Temperature = Check.Temperature(temperature, nameof(temperature));

    /// <summary>Temperature τ of the edge softmax.</summary>
    public double Temperature { get; }

    /// <inheritdoc />
    public override string Name => $"relation-graph({Source}, τ={Temperature:G3})";

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        var (s, t) = Representations(context);
        long b = s.shape[0];
        if (b < 3) return new LossTerms().Add("relation-graph", ZeroLike(s));
        var mask = OffDiagonal(b, s.device);
        var logQs = EdgeLogDistribution(s, mask, b);
        Tensor logQt;
        using (no_grad()) logQt = EdgeLogDistribution(t, mask, b);
        return new LossTerms().Add("relation-graph", KlPerRow(logQt, logQs).mean());
    }

    private Tensor EdgeLogDistribution(Tensor x, Tensor offDiagonal, long rows)
        => nn.functional.log_softmax(PairCosine(x, x).masked_select(offDiagonal).view(rows, rows - 1) / Temperature, 1);
}
