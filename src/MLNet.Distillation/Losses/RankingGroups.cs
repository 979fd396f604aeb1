using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// The groups (queries) of a ranking batch as a padded [G, L] layout: slot (g, j) holds the j-th row of group g
/// (L = the largest group), <see cref="Valid"/> marks the slots that hold a row. Built once per batch from
/// <see cref="LossContext.GroupIds"/> with a stable sort, so the rows of a group need not be contiguous; every per-group
/// quantity is then computed on [G, L] or [G, L, L] tensors without a loop over groups.
/// </summary>
internal sealed class RankingGroups
{
    /// <summary>Fill for padding slots before a softmax: finite, so that no NaN appears even in an empty group.</summary>
    private const double Padding = -1e30;

    private readonly Tensor _rowIndex;

    private RankingGroups(Tensor rowIndex, Tensor valid, Tensor labelled, Tensor nonEmpty)
    {
        _rowIndex = rowIndex;
        Valid = valid;
        Labelled = labelled;
        NonEmpty = nonEmpty;
    }

    /// <summary>Bool [G, L]: the slot holds a row.</summary>
    public Tensor Valid { get; }

    /// <summary>Bool [G, L]: the slot holds a row with a label.</summary>
    public Tensor Labelled { get; }

    /// <summary>Bool [G]: the group has at least one row.</summary>
    public Tensor NonEmpty { get; }

    /// <summary>Bool [G]: every row of the group has a label (and it has one at least).</summary>
    public Tensor FullyLabelled => Valid.logical_and(Labelled.logical_not()).any(1).logical_not().logical_and(NonEmpty);

    /// <summary>Bool [G]: at least one row of the group has a label.</summary>
    public Tensor AnyLabelled => Labelled.any(1);

    /// <summary>Bool [G, L, L]: slots i and j both hold rows, i before j (each unordered pair of a group once).</summary>
    public Tensor Pairs
    {
        get
        {
            long l = Valid.shape[1];
            var upper = ones(l, l, dtype: ScalarType.Bool, device: Valid.device).triu(1).unsqueeze(0);
            return Valid.unsqueeze(2).logical_and(Valid.unsqueeze(1)).logical_and(upper);
        }
    }

    /// <summary>Reads the groups of a batch; a clear error when the batch has none or they are malformed.</summary>
    public static RankingGroups Of(LossContext context, string lossName)
    {
        var ids = context.GroupIds ?? throw new ArgumentException(
            $"{lossName} is a ranking loss and needs LossContext.GroupIds (the query of each row), but the batch has none; " +
            "train it with mlContext.Ranking.Trainers.Student and a GroupId column.", nameof(context));
        long b = context.StudentLogits.shape[0];
        if (ids.ndim != 1 || ids.shape[0] != b)
            throw new ArgumentException(
                $"{lossName}: GroupIds has shape [{string.Join(", ", ids.shape)}] but the batch has {b} rows; give one group id per row.", nameof(context));
        if (context.StudentLogits.ndim != 2 || context.StudentLogits.shape[1] != 1)
            throw new ArgumentException(
                $"{lossName}: a ranking student outputs one score per row, but the student outputs have shape " +
                $"[{string.Join(", ", context.StudentLogits.shape)}].", nameof(context));
        var id64 = ids.to_type(ScalarType.Int64);
        long min = id64.min().item<long>();
        if (min < 0)
            throw new ArgumentException($"{lossName}: group ids must be 0..G−1 within the batch, but one is {min}.", nameof(context));
        long g = id64.max().item<long>() + 1;
        if (g > b)
            throw new ArgumentException(
                $"{lossName}: group ids must be numbered 0..G−1 within the batch, but the largest is {g - 1} in a batch of {b} rows; " +
                "renumber the batch's groups (the trainer does this for a GroupId column).", nameof(context));

        var (_, order) = id64.sort(0, stable: true);
        var counts = zeros(g, dtype: ScalarType.Int64, device: ids.device).index_add_(0, id64, ones_like(id64), 1);
        long l = counts.max().item<long>();
        var offsets = counts.cumsum(0) - counts;
        var j = arange(l, dtype: ScalarType.Int64, device: ids.device).unsqueeze(0);
        var valid = j.lt(counts.unsqueeze(1));
        var slot = (offsets.unsqueeze(1) + j).clamp_max(b - 1);
        var rowIndex = order.index_select(0, slot.flatten()).view(g, l);
        var labelled = context.LabelMask.index_select(0, rowIndex.flatten()).view(g, l).logical_and(valid);
        return new RankingGroups(rowIndex, valid, labelled, counts.gt(0));
    }

    /// <summary>A per-row column ([B] or [B, 1]) laid out as [G, L]; padding slots hold the value of some row (mask them).</summary>
    public Tensor Pad(Tensor column) => column.reshape(-1).index_select(0, _rowIndex.flatten()).view(_rowIndex.shape[0], _rowIndex.shape[1]);

    /// <summary>Log-softmax over the slots of each group selected by <paramref name="mask"/> ([G, L]); 0 elsewhere.</summary>
    public static Tensor MaskedLogSoftmax(Tensor scores, Tensor mask)
        => where(mask, nn.functional.log_softmax(scores.masked_fill(mask.logical_not(), Padding), 1), zeros_like(scores));

    /// <summary>
    /// Per group, the cross-entropy −Σ p·log q between the softmax p of <paramref name="target"/> and the softmax q of
    /// <paramref name="scores"/>, both over the slots in <paramref name="mask"/> ([G, L] → [G]; 0 for a group with no slot).
    /// </summary>
    public static Tensor SoftmaxCrossEntropy(Tensor target, Tensor scores, Tensor mask)
    {
        var logP = MaskedLogSoftmax(target, mask);
        var logQ = MaskedLogSoftmax(scores, mask);
        return -(logP.exp() * logQ * mask.to_type(scores.dtype)).sum(1);
    }

    /// <summary>Per group, KL(softmax(target) ‖ softmax(scores)) over the slots in <paramref name="mask"/> ([G, L] → [G]).</summary>
    public static Tensor SoftmaxKl(Tensor target, Tensor scores, Tensor mask)
    {
        var logP = MaskedLogSoftmax(target, mask);
        var logQ = MaskedLogSoftmax(scores, mask);
        return (logP.exp() * (logP - logQ) * mask.to_type(scores.dtype)).sum(1);
    }

    /// <summary>Mean over the groups selected by <paramref name="groups"/> ([G] bool); zero (with gradient) when none is.</summary>
    public static Tensor MeanOver(Tensor perGroup, Tensor groups)
    {
        var m = groups.to_type(perGroup.dtype);
        return (perGroup * m).sum() / m.sum().clamp_min(1.0);
    }

    /// <summary>Pairwise differences x_i − x_j within each group: [G, L] → [G, L, L].</summary>
    public static Tensor Differences(Tensor padded) => padded.unsqueeze(2) - padded.unsqueeze(1);
}
