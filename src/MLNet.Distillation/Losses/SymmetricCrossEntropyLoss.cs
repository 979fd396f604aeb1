using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Symmetric cross-entropy (Wang et al. 2019, "Symmetric Cross Entropy for Robust Learning with Noisy Labels", ICCV):
/// cross-entropy plus reverse cross-entropy, with log 0 of the target replaced by A:
/// <code>
/// CE  = −Σ_k p_k · log q_k
/// RCE = −Σ_k q_k · max(log p_k, A)              (labels: RCE = −A·(1 − q_y))
/// L   = α·CE + β·RCE
/// </code>
/// where q is the student's softmax and p the target: the one-hot label, or the teacher's distribution at temperature T
/// (the consistency loss toward a teacher of e.g. Robust Mean Teacher). RCE is bounded, which makes the pair robust to
/// noisy targets. Terms: <c>sce_ce</c>, <c>sce_rce</c>.
/// </summary>
/// <remarks>
/// Defaults are the paper's CIFAR-10 values (α = 0.1, β = 1, A = −4). Missing labels: with
/// <see cref="TargetSource.Labels"/> both terms are averaged over labelled rows; with <see cref="TargetSource.Teacher"/>
/// over all rows.
/// </remarks>
public sealed class SymmetricCrossEntropyLoss : DistillationLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="alpha">Weight α of the cross-entropy term (default 0.1).</param>
    /// <param name="beta">Weight β of the reverse cross-entropy term (default 1).</param>
    /// <param name="logClamp">A &lt; 0, the value that replaces log 0 of the target (default −4).</param>
    /// <param name="target">Labels (default) or Teacher.</param>
    /// <param name="temperature">Teacher temperature T &gt; 0 for the Teacher target (default 1).</param>
    public SymmetricCrossEntropyLoss(double alpha = 0.1, double beta = 1.0, double logClamp = -4.0,
        TargetSource target = TargetSource.Labels, double temperature = 1.0)
    {
        Alpha = Check.NonNegative(alpha, nameof(alpha), "The cross-entropy weight α");
        Beta = Check.NonNegative(beta, nameof(beta), "The reverse cross-entropy weight β");
        if (!(logClamp < 0) || double.IsInfinity(logClamp)) throw new ArgumentOutOfRangeException(nameof(logClamp), logClamp, "A (the clamp of log 0) must be a finite negative number (the paper uses −4).");
        LogClamp = logClamp;
        Target = target;
        Temperature = Check.Temperature(temperature, nameof(temperature));
    }

    /// <summary>Weight α of CE.</summary>
    public double Alpha { get; }

    /// <summary>Weight β of RCE.</summary>
    public double Beta { get; }

    /// <summary>A, the clamp of the target's log-probabilities.</summary>
    public double LogClamp { get; }

    /// <summary>Target source.</summary>
    public TargetSource Target { get; }

    /// <summary>Teacher temperature (Teacher target only).</summary>
    public double Temperature { get; }

    /// <inheritdoc />
    public override string Name => $"sce(a={Alpha:G3},b={Beta:G3}{(Target == TargetSource.Teacher ? ",teacher" : "")})";

    /// <inheritdoc />
    public override bool RequiresTeacher => Target == TargetSource.Teacher;

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        var logQ = nn.functional.log_softmax(context.StudentLogits, 1);
        if (Target == TargetSource.Labels)
        {
            var y = context.Labels.clamp_min(0);
            var logQy = TargetColumn(logQ, y);
            var mask = context.LabelMask;
            return new LossTerms()
                .Add("sce_ce", MaskedMean(-logQy, mask) * Alpha)
                .Add("sce_rce", MaskedMean(1 - logQy.exp(), mask) * (-LogClamp * Beta));
        }
        RequireTeacherShape(context);
        var logP = context.TeacherLogProbabilities(Temperature);
        var ce = -(logP.exp() * logQ).sum(1);
        var rce = -(logQ.exp() * logP.clamp_min(LogClamp)).sum(1);
        return new LossTerms().Add("sce_ce", ce.mean() * Alpha).Add("sce_rce", rce.mean() * Beta);
    }
}
