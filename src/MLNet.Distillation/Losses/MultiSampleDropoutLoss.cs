using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Multi-sample dropout (Inoue 2019, "Multi-Sample Dropout for Accelerated Training and Better Generalization"): the main
/// head is applied to M independent dropout samples of the penultimate activations h, and the wrapped loss is averaged
/// over them:
/// <code>
/// L = (1/M)·Σ_m inner(head(h ⊙ mask_m / (1 − p)))
/// </code>
/// Each named term of the inner loss is averaged separately, so logs keep the inner names. With M samples sharing one head
/// the head sees M times more dropout noise per step at almost no extra cost (only the head is re-evaluated).
/// </summary>
/// <remarks>
/// Needs <see cref="LossContext.Penultimate"/> and <see cref="LossContext.MainHead"/> (the Student trainer fills both).
/// In evaluation (<see cref="LossContext.Training"/> false) the inner loss is computed once on the context's own logits.
/// Labels, teachers and extra heads are passed through unchanged, so missing labels and probability teachers are handled
/// exactly as by the inner loss. Defaults: M = 8 samples, dropout rate p = 0.5 (the paper's setting).
/// </remarks>
public sealed class MultiSampleDropoutLoss : WrappingLoss
{
    /// <summary>Creates the wrapper.</summary>
    /// <param name="inner">The loss to average over dropout samples.</param>
    /// <param name="samples">Number M ≥ 1 of dropout samples (default 8).</param>
    /// <param name="dropoutRate">Dropout rate p ∈ [0, 1) applied to the penultimate activations (default 0.5).</param>
    public MultiSampleDropoutLoss(DistillationLoss inner, int samples = 8, double dropoutRate = 0.5) : base(inner)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "Multi-sample dropout needs at least one sample (the paper uses 8).");
        if (!(dropoutRate >= 0 && dropoutRate < 1)) throw new ArgumentOutOfRangeException(nameof(dropoutRate), dropoutRate, "The dropout rate must lie in [0, 1).");
        Samples = samples;
        DropoutRate = dropoutRate;
    }

    /// <summary>Number of dropout samples M.</summary>
    public int Samples { get; }

    /// <summary>Dropout rate p.</summary>
    public double DropoutRate { get; }

    /// <inheritdoc />
    public override string Name => $"msd({Samples}x{DropoutRate:G3}, {Inner.Name})";


    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        if (!context.Training) return Inner.Compute(context);
        var h = context.Penultimate ?? throw Missing("Penultimate");
        var masks = new Tensor[Samples];
        for (int m = 0; m < Samples; m++)
            masks[m] = DropoutRate == 0 ? ones_like(h) : bernoulli(full_like(h, 1 - DropoutRate)) / (1 - DropoutRate);
        return ComputeWithMasks(context, masks);
    }

    /// <summary>The loss with given dropout masks (already scaled by 1/(1 − p)), one per sample.</summary>
    internal LossTerms ComputeWithMasks(LossContext context, IReadOnlyList<Tensor> masks)
    {
        var h = context.Penultimate ?? throw Missing("Penultimate");
        var head = context.MainHead ?? throw Missing("MainHead");
        var names = new List<string>();
        var sums = new Dictionary<string, Tensor>();
        foreach (var mask in masks)
        {
            foreach (var (name, value) in Inner.Compute(context.WithStudentLogits(head(h * mask))).Terms)
            {
                if (sums.TryGetValue(name, out var sum)) sums[name] = sum + value;
                else { sums[name] = value; names.Add(name); }
            }
        }
        var terms = new LossTerms();
        foreach (var name in names) terms.Add(name, sums[name] / masks.Count);
        return terms;
    }

    private static InvalidOperationException Missing(string member) => new(
        $"Multi-sample dropout re-applies the student's main head to dropout samples of its penultimate activations, so " +
        $"LossContext.{member} must be set (the Student trainer fills Penultimate and MainHead).");

}
