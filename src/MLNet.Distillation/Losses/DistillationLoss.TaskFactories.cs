namespace MLNet.Distillation.Losses;

// Static factories for the binary, regression and ranking losses (one call per method, the papers' defaults). Like the
// multiclass factories they return the concrete type and compose with + and *.
public abstract partial class DistillationLoss
{
    /// <summary>
    /// Binary KD on the sigmoid: <c>(1−α)·BCE(s, y) + α·T²·KL(Bern(σ(t/T)) ‖ Bern(σ(s/T)))</c> on labelled rows, the KD term
    /// alone on rows without a label, plain BCE without a teacher; see <see cref="BinaryKdLoss"/>. The binary default.
    /// </summary>
    /// <param name="temperature">Temperature T (default 1).</param>
    /// <param name="alpha">KD weight α on labelled rows (default 0).</param>
    public static BinaryKdLoss BinaryKd(double temperature = 1.0, double alpha = 0.0) => new(temperature, alpha);

    /// <summary>
    /// Regression KD: <c>(1−α)·d(s, y) + α·d(s, t)</c> on labelled rows, <c>d(s, t)</c> on rows without a label, d(s, y)
    /// without a teacher; see <see cref="RegressionKdLoss"/>. The regression default.
    /// </summary>
    /// <param name="alpha">Teacher weight α on labelled rows (default 0).</param>
    /// <param name="distance">Distance d (default MSE).</param>
    /// <param name="huberDelta">Huber threshold δ in standardised units (default 1).</param>
    public static RegressionKdLoss RegressionKd(double alpha = 0.0, RegressionDistance distance = RegressionDistance.Mse, double huberDelta = 1.0)
        => new(alpha, distance, huberDelta);

    /// <summary>
    /// Teacher-bounded regression (Chen et al. 2017): <c>d(s, y) + ν·‖s − y‖²</c> where the student trails the teacher by
    /// more than m, <c>d(s, y)</c> elsewhere, <c>d(s, t)</c> on rows without a label; see <see cref="TeacherBoundedLoss"/>.
    /// </summary>
    /// <param name="margin">Margin m (default 0).</param>
    /// <param name="weight">Bounded-term weight ν (default 0.5).</param>
    /// <param name="distance">Distance d (default Huber with δ = 1, the paper's smooth L1).</param>
    /// <param name="huberDelta">Huber threshold δ (default 1).</param>
    public static TeacherBoundedLoss TeacherBounded(double margin = 0.0, double weight = 0.5, RegressionDistance distance = RegressionDistance.Huber, double huberDelta = 1.0)
        => new(margin, weight, distance, huberDelta);

    /// <summary>
    /// KD-Loss with a Tolerant-Teacher (first teacher column) and a Tough-Teacher (second) for multi-output regression
    /// (Fard and Mahoor 2022); see <see cref="TolerantToughLoss"/> for the formula and defaults.
    /// </summary>
    /// <param name="mainWeight">Weight of the main loss (default 2).</param>
    /// <param name="toughWeight">Weight of the Tough-Teacher's assistive loss (default 1).</param>
    /// <param name="tolerantWeight">Weight of the Tolerant-Teacher's assistive loss (default 1).</param>
    /// <param name="toughBeyond">Region weight beyond the Tough-Teacher (default 1.9).</param>
    /// <param name="toughWithin">Region weight between the inner bound and the Tough-Teacher (default −0.45).</param>
    /// <param name="tolerantBeyond">Region weight beyond the Tolerant-Teacher (default 1.8).</param>
    /// <param name="tolerantWithin">Region weight between the inner bound and the Tolerant-Teacher (default −0.4).</param>
    public static TolerantToughLoss TolerantTough(double mainWeight = 2.0, double toughWeight = 1.0, double tolerantWeight = 1.0,
        double toughBeyond = 1.9, double toughWithin = -0.45, double tolerantBeyond = 1.8, double tolerantWithin = -0.4)
        => new(mainWeight, toughWeight, tolerantWeight, toughBeyond, toughWithin, tolerantBeyond, tolerantWithin);

    /// <summary>
    /// Regression onto [0, 1] through a sigmoid with the Bernoulli KL <c>KL(y ‖ σ(f))</c> (contextual bandits with online
    /// neural regression); the teacher term <c>KL(t ‖ σ(f))</c> on unlabelled rows and with weight α on labelled ones; see
    /// <see cref="BernoulliKlLoss"/>.
    /// </summary>
    /// <param name="alpha">Teacher weight α on labelled rows (default 0).</param>
    public static BernoulliKlLoss BernoulliKl(double alpha = 0.0) => new(alpha);

    /// <summary>ListNet on the relevance labels (Cao et al. 2007), the ranking loss from scratch; see <see cref="ListNetLoss"/>.</summary>
    public static ListNetLoss ListNet() => new();

    /// <summary>Listwise KD: per group <c>T²·KL(softmax(t/T) ‖ softmax(s/T))</c>; see <see cref="ListwiseKlLoss"/>. Uses every row.</summary>
    /// <param name="temperature">Temperature T (default 1).</param>
    public static ListwiseKlLoss ListwiseKl(double temperature = 1.0) => new(temperature);

    /// <summary>Margin-MSE (Hofstätter et al. 2020): the student's score margins within a group match the teacher's; see <see cref="MarginMseLoss"/>.</summary>
    public static MarginMseLoss MarginMse() => new();

    /// <summary>RankNet on the teacher's preferences: <c>−log σ(s_i − s_j)</c> for pairs with t_i &gt; t_j; see <see cref="RankNetLoss"/>.</summary>
    public static RankNetLoss RankNet() => new();

    /// <summary>
    /// Ranking KD: <c>(1−α)·ListNet + α·listwise KL</c> on fully labelled groups, the listwise KL on the others, ListNet
    /// without a teacher; see <see cref="RankingKdLoss"/>. The ranking default.
    /// </summary>
    /// <param name="temperature">Temperature T (default 1).</param>
    /// <param name="alpha">KL weight α on fully labelled groups (default 0).</param>
    public static RankingKdLoss RankingKd(double temperature = 1.0, double alpha = 0.0) => new(temperature, alpha);
}
