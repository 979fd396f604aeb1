using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// The default loss of a mean-teacher fit (<c>StudentOptions.SelfDistillation</c>): the label loss on the labelled rows
/// plus a weighted consistency between the student and its mean teacher (the teacher column of the batch) on every row:
/// <code>
/// L = CE(s, y)  [labelled rows]  +  w(t) · mean over rows of C(p_t, q_s)
/// w(t) = w · exp(−5·(1 − min(1, t / r))²)          (Tarvainen and Valpola's sigmoid ramp-up; t, r in epochs)
/// C    = ½·H(p_t, q_s) + ½·H(q_s, p_t)              (symmetric cross-entropy of Robust Mean Teacher, Döbler et al. 2023)
///      or KL(p_t ‖ q_s)
/// </code>
/// with q_s the student's and p_t the teacher's softmax (binary: the Bernoulli distributions of their sigmoids, and
/// binary cross-entropy as the label loss). With a mask fraction m, the ⌊m·B⌋ rows of each batch on which the teacher is
/// most confident (largest top probability) are left out of the consistency mean — the row analogue of MHIM-MIL's masking
/// of easy instances (Tang et al. 2023). Terms: <c>ce</c> (multiclass) or <c>bce</c> (binary), and <c>mt_consistency</c>.
/// </summary>
public sealed class MeanTeacherLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="consistencyWeight">Weight w ≥ 0 of the consistency term after the ramp-up (default 1).</param>
    /// <param name="rampUp">Share r ∈ [0, 1] of the epochs over which the weight rises (default 0.25; 0: none).</param>
    /// <param name="symmetric">Symmetric cross-entropy (default) or KL(teacher ‖ student).</param>
    /// <param name="maskEasyFraction">Share m ∈ [0, 1) of each batch, the teacher's most confident rows, left out of the consistency (default 0).</param>
    public MeanTeacherLoss(double consistencyWeight = 1, double rampUp = 0.25, bool symmetric = true, double maskEasyFraction = 0)
    {
        ConsistencyWeight = Check.NonNegative(consistencyWeight, nameof(consistencyWeight), "The consistency weight");
        if (rampUp is < 0 or > 1 || double.IsNaN(rampUp)) throw new ArgumentOutOfRangeException(nameof(rampUp), rampUp, "The ramp-up is a share of the epochs and must lie in [0, 1].");
        if (maskEasyFraction is < 0 or >= 1 || double.IsNaN(maskEasyFraction)) throw new ArgumentOutOfRangeException(nameof(maskEasyFraction), maskEasyFraction, "The masked share of each batch must lie in [0, 1).");
        RampUp = rampUp;
        Symmetric = symmetric;
        MaskEasyFraction = maskEasyFraction;
    }

    /// <summary>Weight w of the consistency term after the ramp-up.</summary>
    public double ConsistencyWeight { get; }

    /// <summary>Share of the epochs over which the consistency weight rises.</summary>
    public double RampUp { get; }

    /// <summary>Whether the consistency is the symmetric cross-entropy (else KL(teacher ‖ student)).</summary>
    public bool Symmetric { get; }

    /// <summary>Share of each batch, the teacher's most confident rows, left out of the consistency.</summary>
    public double MaskEasyFraction { get; }

    /// <inheritdoc />
    public override string Name => $"mean-teacher(w={ConsistencyWeight:G3},{(Symmetric ? "sce" : "kl")}{(MaskEasyFraction > 0 ? $",mask={MaskEasyFraction:G3}" : "")})";

    /// <inheritdoc />
    public override IReadOnlyCollection<DistillationTask> Tasks => [DistillationTask.MulticlassClassification, DistillationTask.BinaryClassification];

    /// <summary>The consistency weight at epoch <paramref name="epoch"/> (0-based) of <paramref name="totalEpochs"/>.</summary>
    public double WeightAt(int epoch, int totalEpochs)
    {
        double length = RampUp * totalEpochs;
        if (length <= 0) return ConsistencyWeight;
        double phase = 1 - Math.Clamp(epoch / length, 0, 1);
        return ConsistencyWeight * Math.Exp(-5 * phase * phase);
    }

    /// <inheritdoc />
    public override LossTerms Compute(LossContext c)
    {
        RequireTeacherShape(c);
        var s = c.StudentLogits;
        var t = c.Teacher!.detach();
        bool binary = c.Task == DistillationTask.BinaryClassification;
        Tensor label, perRow, confidence;
        if (binary)
        {
            var bce = nn.functional.binary_cross_entropy_with_logits(s, c.Targets ?? c.Labels.clamp_min(0).to_type(s.dtype).unsqueeze(1), reduction: nn.Reduction.None).squeeze(1);
            label = MaskedMean(bce, c.LabelMask);
            // Two-class distributions of the sigmoids, [B, 2] in log space: (log σ(−z), log σ(z)).
            var logQ = cat([nn.functional.logsigmoid(-s), nn.functional.logsigmoid(s)], 1);
            var logP = cat([nn.functional.logsigmoid(-t), nn.functional.logsigmoid(t)], 1);
            perRow = Consistency(logP, logQ);
            confidence = logP.exp().max(1).values;
        }
        else
        {
            var ce = nn.functional.cross_entropy(s, c.Labels.clamp_min(0), reduction: nn.Reduction.None);
            label = MaskedMean(ce, c.LabelMask);
            var logP = c.TeacherLogProbabilities();
            perRow = Consistency(logP, nn.functional.log_softmax(s, 1));
            confidence = logP.exp().max(1).values;
        }
        var kept = KeptRows(confidence);
        double w = WeightAt(c.Epoch, c.TotalEpochs);
        var consistency = kept is null ? perRow.mean() : MaskedMean(perRow, kept);
        return new LossTerms().Add(binary ? "bce" : "ce", label).Add("mt_consistency", consistency * w);
    }

    /// <summary>Per-row consistency from the teacher's and the student's log-probabilities [B, K].</summary>
    private Tensor Consistency(Tensor logP, Tensor logQ)
    {
        var p = logP.exp();
        if (!Symmetric) return (p * (logP - logQ)).sum(1);
        return -0.5 * (p * logQ).sum(1) - 0.5 * (logQ.exp() * logP).sum(1);
    }

    /// <summary>Boolean [B] mask without the ⌊m·B⌋ rows the teacher is most confident on; null when none is masked.</summary>
    private Tensor? KeptRows(Tensor confidence)
    {
        long rows = confidence.shape[0];
        long masked = (long)Math.Floor(MaskEasyFraction * rows);
        if (masked <= 0) return null;
        var easiest = confidence.topk((int)masked).indexes;
        return ones(rows, ScalarType.Bool, confidence.device).index_fill(0, easiest, false);
    }
}
