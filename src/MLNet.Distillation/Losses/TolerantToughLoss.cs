using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// KD-Loss with two teachers for (multi-output) regression, after Fard and Mahoor, "Facial Landmark Points Detection Using
/// Knowledge Distillation-Based Neural Networks" (Computer Vision and Image Understanding 215, 2022; arXiv 2111.07047):
/// a Tolerant-Teacher trained on soft targets (<see cref="LossContext.Teachers"/>[0]) and a Tough-Teacher trained on the
/// hard targets (<see cref="LossContext.Teachers"/>[1]) guide the student towards the hard targets. The formula follows
/// the authors' code (aliprf/KD-Loss, <c>custom_Losses.kd_loss</c>), element-wise for a student output P, its target G,
/// and a teacher value T:
/// <list type="bullet">
/// <item>each teacher is reflected to the student's side of the target, <c>T' = G + sign(P − G)·|T − G|</c>, with an inner
/// bound <c>B = G + sign(P − G)·0.15·|T − G|</c>;</item>
/// <item>assistive loss of a teacher, <c>ALoss = mean(w·|T' − P|)</c> with w = <c>beyond</c> where the student lies beyond the
/// teacher (farther from G than T'), w = <c>within</c> (negative: a push towards G) where it lies between B and T', and 0
/// between G and B;</item>
/// <item>main loss with the Tolerant-Teacher's error d = |G − Tol| as the knee: <c>3·|G − P|</c> where |G − P| ≤ d, and
/// <c>(G − P)² + 3·d − d²</c> beyond (continuous at d);</item>
/// <item>total <c>mainWeight·main + toughWeight·ALoss_tough + tolerantWeight·ALoss_tolerant</c>, each a mean over rows and
/// outputs.</item>
/// </list>
/// The region maps are constants (no gradient flows through the comparisons or the reflection). Defaults are those of the
/// authors' training script: region weights 1.9/−0.45 (tough) and 1.8/−0.4 (tolerant), loss weights 2/1/1. A row without a
/// label takes the Tough-Teacher's output as its target G (this library's choice; the paper has labels everywhere): its
/// tough assistive term is then zero and it learns from the tough teacher through the main loss and from the tolerant
/// teacher through its assistive loss. The paper's text was not available to check against; the 0.15 bound and the slope 3
/// are the code's constants. The teachers' roles are fixed by their order, so <see cref="LossContext.TeacherWeights"/> is not
/// used (weigh the parts with the loss weights). Terms: <c>kd-main</c>, <c>tough-assist</c>, <c>tolerant-assist</c>.
/// </summary>
public sealed class TolerantToughLoss : DistillationLoss
{
    private const double InnerBound = 0.15;
    private const double Slope = 3.0;

    /// <summary>Creates the loss.</summary>
    /// <param name="mainWeight">Weight ≥ 0 of the main loss (default 2).</param>
    /// <param name="toughWeight">Weight ≥ 0 of the Tough-Teacher's assistive loss (default 1).</param>
    /// <param name="tolerantWeight">Weight ≥ 0 of the Tolerant-Teacher's assistive loss (default 1).</param>
    /// <param name="toughBeyond">Region weight where the student lies beyond the Tough-Teacher (default 1.9).</param>
    /// <param name="toughWithin">Region weight where the student lies between the inner bound and the Tough-Teacher (default −0.45).</param>
    /// <param name="tolerantBeyond">Region weight where the student lies beyond the Tolerant-Teacher (default 1.8).</param>
    /// <param name="tolerantWithin">Region weight where the student lies between the inner bound and the Tolerant-Teacher (default −0.4).</param>
    public TolerantToughLoss(double mainWeight = 2.0, double toughWeight = 1.0, double tolerantWeight = 1.0,
        double toughBeyond = 1.9, double toughWithin = -0.45, double tolerantBeyond = 1.8, double tolerantWithin = -0.4)
    {
        MainWeight = Check.NonNegative(mainWeight, nameof(mainWeight), "The main-loss weight");
        ToughWeight = Check.NonNegative(toughWeight, nameof(toughWeight), "The tough assistive-loss weight");
        TolerantWeight = Check.NonNegative(tolerantWeight, nameof(tolerantWeight), "The tolerant assistive-loss weight");
        ToughBeyond = Check.Finite(toughBeyond, nameof(toughBeyond), "The tough beyond-region weight");
        ToughWithin = Check.Finite(toughWithin, nameof(toughWithin), "The tough within-region weight");
        TolerantBeyond = Check.Finite(tolerantBeyond, nameof(tolerantBeyond), "The tolerant beyond-region weight");
        TolerantWithin = Check.Finite(tolerantWithin, nameof(tolerantWithin), "The tolerant within-region weight");
    }

    /// <summary>Weight of the main loss.</summary>
    public double MainWeight { get; }

    /// <summary>Weight of the Tough-Teacher's assistive loss.</summary>
    public double ToughWeight { get; }

    /// <summary>Weight of the Tolerant-Teacher's assistive loss.</summary>
    public double TolerantWeight { get; }

    /// <summary>Region weight beyond the Tough-Teacher.</summary>
    public double ToughBeyond { get; }

    /// <summary>Region weight between the inner bound and the Tough-Teacher.</summary>
    public double ToughWithin { get; }

    /// <summary>Region weight beyond the Tolerant-Teacher.</summary>
    public double TolerantBeyond { get; }

    /// <summary>Region weight between the inner bound and the Tolerant-Teacher.</summary>
    public double TolerantWithin { get; }

    /// <inheritdoc />
    public override string Name => $"tolerant-tough(w={MainWeight:G3}/{ToughWeight:G3}/{TolerantWeight:G3})";

    /// <inheritdoc />
    public override IReadOnlyCollection<DistillationTask> Tasks => [DistillationTask.Regression];

    /// <summary>True: the two teachers have different roles (tolerant first, tough second).</summary>
    public override bool UsesAllTeachers => true;

    /// <inheritdoc />
    public override LossTerms Compute(LossContext c)
    {
        if (c.Teachers.Count != 2)
            throw new ArgumentException(
                $"{Name} needs exactly two teachers kept separate, the Tolerant-Teacher (trained on soft targets) first and the " +
                $"Tough-Teacher (trained on the hard targets) second, but the batch has {c.Teachers.Count}. Set " +
                "StudentOptions.TeacherColumnNames to the two teacher columns in that order.", nameof(c));
        var p = c.StudentLogits;
        var y = RequireTargets(c);
        var tolerant = c.Teachers[0];
        var tough = c.Teachers[1];
        RequireSameShape(c, tolerant, "tolerant teacher outputs");
        RequireSameShape(c, tough, "tough teacher outputs");

        var labelled = c.LabelMask.unsqueeze(1);
        var g = where(labelled, y, tough);
        var side = (p.detach() - g).sign();

        var toleranceKnee = (g - tolerant).abs() * side.abs();   // |G − Tol'|: zero where P = G, as in the reference code
        var error = (g - p).abs();
        var inside = error.detach().le(toleranceKnee).to_type(p.dtype);
        var main = (inside * (Slope * error) + (1 - inside) * ((g - p).square() + Slope * toleranceKnee - toleranceKnee.square())).mean();

        return new LossTerms()
            .Add("kd-main", main * MainWeight)
            .Add("tough-assist", Assist(p, g, tough, side, ToughBeyond, ToughWithin) * ToughWeight)
            .Add("tolerant-assist", Assist(p, g, tolerant, side, TolerantBeyond, TolerantWithin) * TolerantWeight);
    }

    /// <summary>The assistive loss of one teacher: mean of w·|T' − P| over rows and outputs (see the class remarks).</summary>
    private static Tensor Assist(Tensor p, Tensor g, Tensor teacher, Tensor side, double beyond, double within)
    {
        var gap = (teacher - g).abs() * side;
        var reflected = g + gap;
        var bound = g + gap * InnerBound;
        var pd = p.detach();
        var isBeyond = ((pd - reflected).sign() * (reflected - g).sign()).gt(0).to_type(p.dtype);
        var isWithin = ((reflected - pd).sign() * (pd - bound).sign()).ge(0).to_type(p.dtype);
        return ((isBeyond * beyond + isWithin * within) * (reflected - p).abs()).mean();
    }
}
