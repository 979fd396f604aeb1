using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Multi-teacher adversarial distillation (Zhao, Wang and Wei 2023, "Mitigating the Accuracy-Robustness Trade-off via
/// Multi-Teacher Adversarial Distillation", MTARD/B-MTARD): a clean teacher teaches the student on clean rows and an
/// adversarially trained (robust) teacher on the student's adversarial rows. Terms <c>clean</c> = w_c·KL(p_c^τc ‖ q) over
/// the real rows and <c>adversarial</c> = w_a·KL(p_r^τa ‖ q) over the adversarial rows, with q = softmax(s) the student
/// (temperature 1) and p^τ = softmax(t/τ) each teacher at its own temperature.
/// </summary>
/// <remarks>
/// <para>The data: the real rows carry the clean teacher (the teacher column, <c>Transforms.Distill</c> of the clean model);
/// the last <see cref="LossContext.TransferRows"/> rows are adversarial rows made from the student's input gradient and
/// labelled online by the robust teacher (<c>StudentOptions.TransferSet</c> with <c>TransferAugmentation.Adversarial</c> and
/// <c>TeacherModelPath</c> = the robust model). A fit without them is refused.</para>
/// <para>Entropy-based balance (the paper's §3): so that both teachers speak at the same "knowledge scale", after every
/// training step the temperatures move toward equal mean prediction entropies,
/// τc ← τc − η·(H_c − H_a) and τa ← τa − η·(H_a − H_c), with H the mean entropy of each
/// teacher's softened distribution on its rows of the step and η = <see cref="TemperatureRate"/> (0 keeps the temperatures
/// fixed); the sharper teacher warms up, the softer one cools down. Temperatures stay in [0.05, 20].</para>
/// <para>Normalization loss balance (the paper's §3): with <see cref="BalanceWeights"/>, each term's relative loss
/// r = L / L(first step) sets the weights w_c = r_c / (r_c + r_a), w_a = r_a / (r_c + r_a) (constants in the gradient): the
/// objective the student learns more slowly gets more weight; without it w_c = w_a = ½. The state (temperatures, first
/// losses) restarts at every fit (<see cref="Bind"/>); <see cref="CleanTemperature"/> and the like show its current value.</para>
/// <para>What this implementation chooses where the paper leaves room: the update is per step on the batch's entropies
/// (the paper's rule in the same form, with its own rate); labelled rows learn from the clean teacher only (the paper
/// uses no label term); the robust teacher scores the adversarial rows themselves.</para>
/// </remarks>
public sealed class RobustMultiTeacherLoss : DistillationLoss
{
    /// <summary>Lowest temperature the balance may reach.</summary>
    public const double MinimumTemperature = 0.05;

    /// <summary>Highest temperature the balance may reach.</summary>
    public const double MaximumTemperature = 20;

    private double _cleanStart = double.NaN, _robustStart = double.NaN;

    /// <summary>Creates the loss.</summary>
    /// <param name="cleanTemperature">Initial temperature τc of the clean teacher (default 1).</param>
    /// <param name="robustTemperature">Initial temperature τa of the robust teacher (default 1).</param>
    /// <param name="temperatureRate">Rate η of the entropy-based balance per step (default 0.01; 0 keeps both fixed).</param>
    /// <param name="balanceWeights">Normalization loss balance of the two terms (default true; false: ½ each).</param>
    public RobustMultiTeacherLoss(double cleanTemperature = 1.0, double robustTemperature = 1.0, double temperatureRate = 0.01, bool balanceWeights = true)
    {
        InitialCleanTemperature = Check.Temperature(cleanTemperature, nameof(cleanTemperature));
        InitialRobustTemperature = Check.Temperature(robustTemperature, nameof(robustTemperature));
        TemperatureRate = Check.NonNegative(temperatureRate, nameof(temperatureRate), "The temperature rate η");
        BalanceWeights = balanceWeights;
        Reset();
    }

    /// <summary>Initial temperature of the clean teacher.</summary>
    public double InitialCleanTemperature { get; }

    /// <summary>Initial temperature of the robust teacher.</summary>
    public double InitialRobustTemperature { get; }

    /// <summary>Rate η of the entropy-based temperature balance.</summary>
    public double TemperatureRate { get; }

    /// <summary>Whether the two terms are weighted by their relative losses.</summary>
    public bool BalanceWeights { get; }

    /// <summary>Current temperature of the clean teacher (changes during a fit).</summary>
    public double CleanTemperature { get; private set; }

    /// <summary>Current temperature of the robust teacher (changes during a fit).</summary>
    public double RobustTemperature { get; private set; }

    /// <summary>Weight of the clean term in the last step.</summary>
    public double CleanWeight { get; private set; }

    /// <summary>Weight of the adversarial term in the last step.</summary>
    public double RobustWeight { get; private set; }

    /// <summary>Mean entropy of the clean teacher's softened distribution in the last step (nats).</summary>
    public double CleanEntropy { get; private set; } = double.NaN;

    /// <summary>Mean entropy of the robust teacher's softened distribution in the last step (nats).</summary>
    public double RobustEntropy { get; private set; } = double.NaN;

    /// <inheritdoc />
    public override string Name => $"mtard(Tc={InitialCleanTemperature:G3},Ta={InitialRobustTemperature:G3},eta={TemperatureRate:G3}{(BalanceWeights ? "" : ",fixed weights")})";

    /// <inheritdoc />
    public override void Bind(LossBinding binding) => Reset();

    private void Reset()
    {
        CleanTemperature = InitialCleanTemperature;
        RobustTemperature = InitialRobustTemperature;
        CleanWeight = RobustWeight = 0.5;
        _cleanStart = _robustStart = double.NaN;
    }

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        RequireTeacherShape(context);
        long rows = context.StudentLogits.shape[0], adversarial = context.TransferRows, clean = rows - adversarial;
        if (adversarial <= 0 || clean <= 0)
            throw new InvalidOperationException($"Loss '{Name}' needs clean rows and adversarial rows in every batch (this one has {clean} and {adversarial}). " +
                "Set StudentOptions.TransferSet = new TransferSetOptions { TeacherModelPath = \"robust.onnx\", Augmentations = TransferAugmentation.Adversarial } and the clean teacher's column as TeacherColumnName.");
        var logQ = nn.functional.log_softmax(context.StudentLogits, 1);
        var teacher = context.Teacher!;
        var logPc = LossContext.LogSoftmaxOf(teacher.narrow(0, 0, clean), context.TeacherKind, CleanTemperature);
        var logPa = LossContext.LogSoftmaxOf(teacher.narrow(0, clean, adversarial), context.TeacherKind, RobustTemperature);
        var cleanLoss = KlPerRow(logPc, logQ.narrow(0, 0, clean)).mean();
        var robustLoss = KlPerRow(logPa, logQ.narrow(0, clean, adversarial)).mean();

        double wc = 0.5, wa = 0.5;
        if (BalanceWeights)
        {
            double lc = Value(cleanLoss), la = Value(robustLoss);
            if (context.Training && double.IsNaN(_cleanStart)) { _cleanStart = lc; _robustStart = la; }
            if (!double.IsNaN(_cleanStart))
            {
                double rc = lc / Math.Max(_cleanStart, 1e-12), ra = la / Math.Max(_robustStart, 1e-12);
                if (rc + ra > 0) { wc = rc / (rc + ra); wa = ra / (rc + ra); }
            }
        }
        if (context.Training)
        {
            CleanWeight = wc;
            RobustWeight = wa;
            CleanEntropy = Entropy(logPc);
            RobustEntropy = Entropy(logPa);
            double gap = CleanEntropy - RobustEntropy;
            CleanTemperature = Math.Clamp(CleanTemperature - TemperatureRate * gap, MinimumTemperature, MaximumTemperature);
            RobustTemperature = Math.Clamp(RobustTemperature + TemperatureRate * gap, MinimumTemperature, MaximumTemperature);
        }
        return new LossTerms().Add("clean", cleanLoss * wc).Add("adversarial", robustLoss * wa);
    }

    /// <summary>Mean entropy −Σ p·log p of the rows of <paramref name="logP"/> (nats).</summary>
    private static double Entropy(Tensor logP)
    {
        using var _ = no_grad();
        return Value(-(logP.exp() * logP).sum(1).mean());
    }

    private static double Value(Tensor scalar)
    {
        using var d = scalar.detach().to_type(ScalarType.Float64);
        return d.item<double>();
    }
}
