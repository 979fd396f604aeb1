using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Dual-head knowledge distillation (Yang et al. 2024, "Dual-Head Knowledge Distillation: Enhancing Logits Utilization
/// with an Auxiliary Head"). Probability-level and logit-level losses pull a single linear classifier in conflicting
/// directions; DHKD gives the logit-level loss its own auxiliary head on the same penultimate features:
/// <code>
/// main head s:  ceWeight·CE(s, y) + kdWeight·T²·KL(p_t^T ‖ q_s^T)                         (probability level)
/// aux head a:   auxWeight·T_a²·Σ_k KL(Bernoulli(½) ‖ Bernoulli(σ((a_k − t_k)/T_a)))        (BinaryKL-Norm, logit level)
/// </code>
/// BinaryKL-Norm is zero exactly when the auxiliary logits equal the teacher's. Prediction uses the main head only; the
/// auxiliary head exists for training. Terms: <c>ce</c>, <c>kd</c>, <c>aux</c> (each averaged over rows).
/// </summary>
/// <remarks>
/// The auxiliary head is requested through <see cref="ExtraHeads"/> under the name <see cref="AuxHeadName"/>. Missing
/// labels: CE over labelled rows only; the KD and auxiliary terms use every row. A probability teacher has no logits, so
/// the auxiliary head learns log p (clamped at log 1e-30). Defaults: T = 4, T_a = 2 (the reference code's BinaryKL
/// temperature), all weights 1.
/// </remarks>
public sealed class DualHeadLoss : DistillationLoss
{
    /// <summary>Name of the auxiliary head in <see cref="LossContext.Heads"/>.</summary>
    public const string AuxHeadName = "aux";

    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">Temperature T &gt; 0 of the main head's KD term (default 4).</param>
    /// <param name="auxTemperature">Temperature T_a &gt; 0 of BinaryKL-Norm on the auxiliary head (default 2).</param>
    /// <param name="ceWeight">Weight of the main head's cross-entropy (default 1).</param>
    /// <param name="kdWeight">Weight of the main head's KD term (default 1).</param>
    /// <param name="auxWeight">Weight of the auxiliary head's BinaryKL-Norm term (default 1).</param>
    public DualHeadLoss(double temperature = 4.0, double auxTemperature = 2.0, double ceWeight = 1.0, double kdWeight = 1.0, double auxWeight = 1.0)
    {
        Temperature = Check.Temperature(temperature, nameof(temperature));
        AuxTemperature = Check.Temperature(auxTemperature, nameof(auxTemperature));
        CeWeight = Check.NonNegative(ceWeight, nameof(ceWeight), "The cross-entropy weight");
        KdWeight = Check.NonNegative(kdWeight, nameof(kdWeight), "The KD weight");
        AuxWeight = Check.NonNegative(auxWeight, nameof(auxWeight), "The auxiliary-head weight");
    }

    /// <summary>Temperature T of the main head's KD.</summary>
    public double Temperature { get; }

    /// <summary>Temperature T_a of BinaryKL-Norm.</summary>
    public double AuxTemperature { get; }

    /// <summary>Weight of CE.</summary>
    public double CeWeight { get; }

    /// <summary>Weight of KD.</summary>
    public double KdWeight { get; }

    /// <summary>Weight of the auxiliary term.</summary>
    public double AuxWeight { get; }

    /// <inheritdoc />
    public override string Name => $"dual-head(T={Temperature:G3},Ta={AuxTemperature:G3})";

    /// <inheritdoc />
    public override IEnumerable<StudentHead> ExtraHeads => [new StudentHead(AuxHeadName)];

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        RequireTeacherShape(context);
        if (!context.Heads.TryGetValue(AuxHeadName, out var aux))
            throw new InvalidOperationException(
                $"Dual-head KD needs the auxiliary head's logits in LossContext.Heads[\"{AuxHeadName}\"]; the trainer grows the head " +
                "from DistillationLoss.ExtraHeads. When calling the loss yourself, add a second linear head on the penultimate layer and pass its logits.");
        double t = Temperature, ta = AuxTemperature;
        var kl = KlPerRow(context.TeacherLogProbabilities(t), nn.functional.log_softmax(context.StudentLogits / t, 1)) * (t * t);
        var x = (aux - TeacherScores(context)) / ta;
        // KL(Bern(½) ‖ Bern(σ(x))) = −log 2 − ½·log σ(x) − ½·log σ(−x)
        var binary = (nn.functional.logsigmoid(x) + nn.functional.logsigmoid(-x)) * -0.5 - Math.Log(2);
        long b = context.StudentLogits.shape[0];
        var ce = MaskedMean(CrossEntropyPerRow(context), context.LabelMask);
        return new LossTerms()
            .Add("ce", ce * CeWeight)
            .Add("kd", kl.mean() * KdWeight)
            .Add("aux", binary.sum() * (AuxWeight * ta * ta / b));
    }
}
