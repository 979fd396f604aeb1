namespace MLNet.Distillation.Training;

/// <summary>How adversarial examples are made.</summary>
public enum AdversarialMethod
{
    /// <summary>Fast gradient sign method (Goodfellow et al. 2015): one step of size <see cref="AdversarialAttack.StepSize"/> (default ε) along the sign of the input gradient.</summary>
    Fgsm,
    /// <summary>Projected gradient descent (Madry et al. 2018): a uniform random start in the ball, then <see cref="AdversarialAttack.Steps"/> sign steps, each projected back into the ball.</summary>
    Pgd,
}

/// <summary>The space in which the perturbation budget ε is measured.</summary>
public enum PerturbationSpace
{
    /// <summary>
    /// ε in units of each feature's standard deviation on the training rows: |x′ⱼ − xⱼ| ≤ ε·stdⱼ (the student's own
    /// standardised input space). Features that are constant on the training rows are never perturbed. The default: tabular
    /// features come in unrelated units, and one ε for all of them would perturb some not at all and others beyond recognition.
    /// </summary>
    Standardized,
    /// <summary>ε in the features' own units, the same for every feature: |x′ⱼ − xⱼ| ≤ ε (e.g. pixels that share one scale).</summary>
    Raw,
}

/// <summary>
/// An L∞ adversarial attack on the student's input: the cross-entropy of the student's prediction with a target class is
/// increased by gradient-sign steps within a ball of radius <see cref="Epsilon"/> (in <see cref="Space"/>), and every
/// adversarial row is clipped to the training rows' per-feature [min, max] so that it stays a plausible row. Used to make
/// adversarial transfer rows during training (<see cref="TransferAugmentation.Adversarial"/>) and to measure robustness
/// (<see cref="RobustnessEvaluation"/>).
/// </summary>
public sealed class AdversarialAttack
{
    /// <summary>FGSM or PGD (default <see cref="AdversarialMethod.Pgd"/>).</summary>
    public AdversarialMethod Method { get; set; } = AdversarialMethod.Pgd;

    /// <summary>Radius ε of the L∞ ball, in <see cref="Space"/> units (default 0.3 standard deviations).</summary>
    public double Epsilon { get; set; } = 0.3;

    /// <summary>PGD steps (default 10; FGSM makes one).</summary>
    public int Steps { get; set; } = 10;

    /// <summary>Size of each sign step in <see cref="Space"/> units (default: ε for FGSM, ε/4 for PGD).</summary>
    public double? StepSize { get; set; }

    /// <summary>Where ε is measured (default <see cref="PerturbationSpace.Standardized"/>).</summary>
    public PerturbationSpace Space { get; set; } = PerturbationSpace.Standardized;

    /// <summary>Whether PGD starts from a uniform random point of the ball (default true, as Madry et al.); FGSM never does.</summary>
    public bool RandomStart { get; set; } = true;

    /// <summary>Sign steps the attack makes.</summary>
    internal int EffectiveSteps => Method == AdversarialMethod.Fgsm ? 1 : Steps;

    /// <summary>The step size used.</summary>
    internal double EffectiveStepSize => StepSize ?? (Method == AdversarialMethod.Fgsm ? Epsilon : Epsilon / 4);

    /// <summary>Whether the attack starts from a random point.</summary>
    internal bool StartsRandomly => Method == AdversarialMethod.Pgd && RandomStart;

    /// <inheritdoc />
    public override string ToString() => Method == AdversarialMethod.Fgsm
        ? $"FGSM ε={Epsilon:G3} ({Space})"
        : $"PGD-{Steps} ε={Epsilon:G3} step {EffectiveStepSize:G3} ({Space}{(RandomStart ? ", random start" : "")})";

    /// <summary>Throws when a setting is out of range, naming it as <paramref name="owner"/>.Attack.X.</summary>
    internal void Validate(string owner)
    {
        if (!(Epsilon > 0) || double.IsInfinity(Epsilon))
            throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, $"{owner}.Epsilon must be a finite number > 0 (in {Space} units; e.g. 0.3 standard deviations).");
        if (Method == AdversarialMethod.Pgd && Steps < 1)
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"{owner}.Steps must be at least 1 for PGD (typical 7–20).");
        if (StepSize is { } s && (!(s > 0) || double.IsInfinity(s)))
            throw new ArgumentOutOfRangeException(nameof(StepSize), s, $"{owner}.StepSize must be a finite number > 0, or null for the default (ε for FGSM, ε/4 for PGD).");
        if (!Enum.IsDefined(Method)) throw new ArgumentOutOfRangeException(nameof(Method), Method, $"{owner}.Method must be Fgsm or Pgd.");
        if (!Enum.IsDefined(Space)) throw new ArgumentOutOfRangeException(nameof(Space), Space, $"{owner}.Space must be Standardized or Raw.");
    }
}
