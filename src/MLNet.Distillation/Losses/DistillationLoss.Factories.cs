namespace MLNet.Distillation.Losses;

// Static factories for the built-in methods: one call per method with the paper's defaults. Each returns the concrete
// loss type, so its settings stay readable (e.g. DistillationLoss.Dkd().Beta), and composes with + and *.
public abstract partial class DistillationLoss
{
    /// <summary>
    /// Hinton KD that drops the teacher on labelled rows it gets wrong (cross-entropy alone there); see
    /// <see cref="TeacherCorrectedKdLoss"/>. Rows without a label learn from the teacher alone.
    /// </summary>
    /// <param name="temperature">Temperature T (default 1).</param>
    /// <param name="alpha">KD weight α on labelled rows the teacher gets right (default 0.5).</param>
    /// <param name="minimumConfidence">Labelled rows are distilled only where the teacher's top-class probability reaches this (default 0).</param>
    public static TeacherCorrectedKdLoss TeacherCorrected(double temperature = 1.0, double alpha = 0.5, double minimumConfidence = 0) => new(temperature, alpha, minimumConfidence);

    /// <summary>MSE between student and teacher logits (Kim et al. 2021); see <see cref="LogitMseLoss"/>. Uses every row.</summary>
    /// <param name="centered">Centre each row first (default false; always done for probability teachers).</param>
    public static LogitMseLoss LogitMse(bool centered = false) => new(centered);

    /// <summary>Reverse KL <c>T²·KL(q_s ‖ p_t)</c> (mode seeking); see <see cref="ReverseKlLoss"/>. Uses every row.</summary>
    /// <param name="temperature">Temperature T (default 1).</param>
    public static ReverseKlLoss ReverseKl(double temperature = 1.0) => new(temperature);

    /// <summary>Symmetric Jensen–Shannon divergence (β = 0.5); see <see cref="JensenShannonLoss"/>. Uses every row.</summary>
    /// <param name="temperature">Temperature T (default 1).</param>
    public static JensenShannonLoss JensenShannon(double temperature = 1.0) => new(0.5, temperature);

    /// <summary>Generalized JSD(β) of GKD (Agarwal et al. 2024); see <see cref="JensenShannonLoss"/>. Uses every row.</summary>
    /// <param name="beta">Teacher weight β ∈ (0, 1) in the mixture (default 0.5).</param>
    /// <param name="temperature">Temperature T (default 1).</param>
    public static JensenShannonLoss GeneralizedJensenShannon(double beta = 0.5, double temperature = 1.0) => new(beta, temperature);

    /// <summary>Skew KL <c>KL(p_t ‖ λp_t + (1−λ)q_s)</c> (DistiLLM); see <see cref="SkewKlLoss"/>. Uses every row.</summary>
    /// <param name="skew">Skew λ ∈ [0, 1) (default 0.1).</param>
    /// <param name="temperature">Temperature T (default 1).</param>
    public static SkewKlLoss SkewKl(double skew = 0.1, double temperature = 1.0) => new(skew, temperature);

    /// <summary>Skew reverse KL <c>KL(q_s ‖ (1−λ)p_t + λq_s)</c> (DistiLLM); see <see cref="SkewReverseKlLoss"/>. Uses every row.</summary>
    /// <param name="skew">Skew λ ∈ [0, 1) (default 0.1).</param>
    /// <param name="temperature">Temperature T (default 1).</param>
    public static SkewReverseKlLoss SkewReverseKl(double skew = 0.1, double temperature = 1.0) => new(skew, temperature);

    /// <summary>Total variation distance <c>½‖p_t − q_s‖₁</c>; see <see cref="TotalVariationLoss"/>. Uses every row.</summary>
    /// <param name="temperature">Temperature T (default 1).</param>
    public static TotalVariationLoss TotalVariation(double temperature = 1.0) => new(temperature);

    /// <summary>Decoupled KD (Zhao et al. 2022): CE + warm-up·(α·TCKD + β·NCKD); see <see cref="DkdLoss"/>.</summary>
    /// <param name="alpha">TCKD weight α (default 1).</param>
    /// <param name="beta">NCKD weight β (default 8; 0.5 for ImageNet-like tasks).</param>
    /// <param name="temperature">Temperature T (default 4).</param>
    /// <param name="warmupEpochs">Linear warm-up of the KD weight, in epochs (default 20; 0 disables).</param>
    /// <param name="ceWeight">Weight of the CE term on labelled rows (default 1).</param>
    public static DkdLoss Dkd(double alpha = 1.0, double beta = 8.0, double temperature = 4.0, int warmupEpochs = 20, double ceWeight = 1.0)
        => new(alpha, beta, temperature, warmupEpochs, ceWeight);

    /// <summary>Normalized KD (Yang et al. 2023), without the reference code's mask bug; see <see cref="NkdLoss"/>.</summary>
    /// <param name="temperature">Temperature T of the non-target term (default 1).</param>
    /// <param name="gamma">Non-target weight γ (default 1.5).</param>
    /// <param name="ceWeight">Weight of the CE term on labelled rows (default 1).</param>
    public static NkdLoss Nkd(double temperature = 1.0, double gamma = 1.5, double ceWeight = 1.0) => new(temperature, gamma, ceWeight);

    /// <summary>Teacher-free USKD (Yang et al. 2023) with a weak head on the penultimate layer; see <see cref="UskdLoss"/>. Labelled rows only.</summary>
    /// <param name="alpha">Soft-target weight α (default 1).</param>
    /// <param name="beta">Zipf non-target weight β (default 0.1).</param>
    /// <param name="mu">Weak-head weight μ (default 0.005).</param>
    /// <param name="ceWeight">Weight of the CE term (default 1).</param>
    public static UskdLoss Uskd(double alpha = 1.0, double beta = 0.1, double mu = 0.005, double ceWeight = 1.0) => new(alpha, beta, mu, ceWeight);

    /// <summary>Batch-wise Sinkhorn distance between student and teacher distributions (SinKD, Cui et al. 2024); see <see cref="SinkhornLoss"/>.</summary>
    /// <param name="temperature">Temperature T (default 1).</param>
    /// <param name="epsilon">Entropic regularisation ε (default 0.1).</param>
    /// <param name="iterations">Sinkhorn iterations (default 20).</param>
    public static SinkhornLoss Sinkhorn(double temperature = 1.0, double epsilon = 0.1, int iterations = 20) => new(temperature, epsilon, iterations);

    /// <summary>The Z-loss on the labels, <c>softplus(a(b − z_y))/a</c> (de Brébisson and Vincent 2016); see <see cref="Losses.ZLoss"/>. Labelled rows only.</summary>
    /// <param name="a">Sharpness a (default 1).</param>
    /// <param name="b">Location b (default 0).</param>
    public static Losses.ZLoss ZLoss(double a = 1.0, double b = 0.0) => new(a, b, TargetSource.Labels);

    /// <summary>The Z-loss as a distillation target: its expectation under the teacher's distribution; see <see cref="Losses.ZLoss"/>.</summary>
    /// <param name="a">Sharpness a (default 1).</param>
    /// <param name="b">Location b (default 0).</param>
    /// <param name="temperature">Teacher temperature T (default 1).</param>
    public static Losses.ZLoss ZLossDistillation(double a = 1.0, double b = 0.0, double temperature = 1.0) => new(a, b, TargetSource.Teacher, temperature);

    /// <summary>LDR-KL, the label-distributionally robust loss with temperature λ (Zhu et al. 2023); see <see cref="LdrKlLoss"/>. Labelled rows only.</summary>
    /// <param name="temperature">λ (default 1).</param>
    /// <param name="margin">Margin c (default 1).</param>
    /// <param name="normalizeScores">Softplus scores over their row mean (default true), or raw logits.</param>
    public static LdrKlLoss LdrKl(double temperature = 1.0, double margin = 1.0, bool normalizeScores = true) => new(temperature, margin, normalizeScores);

    /// <summary>ALDR-KL, LDR-KL with an adaptive per-instance temperature (Zhu et al. 2023); see <see cref="AldrKlLoss"/>. Labelled rows only.</summary>
    /// <param name="temperature">Reference λ₀ (default 1).</param>
    /// <param name="alpha">Pull α &gt; 1 of λ_i towards λ₀ (default 2).</param>
    /// <param name="margin">Margin c (default 1).</param>
    /// <param name="normalizeScores">Softplus scores over their row mean (default true), or raw logits.</param>
    public static AldrKlLoss AldrKl(double temperature = 1.0, double alpha = 2.0, double margin = 1.0, bool normalizeScores = true)
        => new(temperature, alpha, margin, normalizeScores);

    /// <summary>Symmetric cross-entropy on the labels, α·CE + β·RCE (Wang et al. 2019); see <see cref="SymmetricCrossEntropyLoss"/>. Labelled rows only.</summary>
    /// <param name="alpha">CE weight α (default 0.1).</param>
    /// <param name="beta">RCE weight β (default 1).</param>
    /// <param name="logClamp">A, the value of log 0 (default −4).</param>
    public static SymmetricCrossEntropyLoss SymmetricCrossEntropy(double alpha = 0.1, double beta = 1.0, double logClamp = -4.0)
        => new(alpha, beta, logClamp, TargetSource.Labels);

    /// <summary>Symmetric cross-entropy toward the teacher's distribution (a robust consistency loss); see <see cref="SymmetricCrossEntropyLoss"/>.</summary>
    /// <param name="alpha">CE weight α (default 0.1).</param>
    /// <param name="beta">RCE weight β (default 1).</param>
    /// <param name="logClamp">A, the clamp of the teacher's log-probabilities (default −4).</param>
    /// <param name="temperature">Teacher temperature T (default 1).</param>
    public static SymmetricCrossEntropyLoss SymmetricCrossEntropyToTeacher(double alpha = 0.1, double beta = 1.0, double logClamp = -4.0, double temperature = 1.0)
        => new(alpha, beta, logClamp, TargetSource.Teacher, temperature);

    /// <summary>Generalized cross-entropy <c>(1 − q_y^q)/q</c> (Zhang and Sabuncu 2018), comp-sum τ = 1 + q; see <see cref="CompSumLoss"/>. Labelled rows only.</summary>
    /// <param name="q">q ∈ (0, 1] (default 0.7; q → 0 is CE, q = 1 is MAE).</param>
    public static CompSumLoss GeneralizedCrossEntropy(double q = 0.7)
    {
        if (!(q > 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "GCE's q must lie in (0, 1] (0.7 in the paper; q → 0 is cross-entropy, q = 1 is MAE).");
        return new(1 + q);
    }

    /// <summary>Mean absolute error <c>1 − q_y</c>, comp-sum τ = 2; see <see cref="CompSumLoss"/>. Labelled rows only.</summary>
    public static CompSumLoss Mae() => new(2.0);

    /// <summary>A comp-sum loss with any τ ≥ 1 (Mao, Mohri and Zhong 2023); see <see cref="CompSumLoss"/>. Labelled rows only.</summary>
    /// <param name="tau">τ (1: CE, 1 + q: GCE, 2: MAE).</param>
    public static CompSumLoss CompSum(double tau) => new(tau);

    /// <summary>The confidence-limiting (pass@N, DCO) loss <c>−log(1 − (1 − q_y)^N)</c> (Chen et al. 2025); see <see cref="ConfidenceLimitingLoss"/>. Labelled rows only.</summary>
    /// <param name="n">N, attempts (default 4; 1 is cross-entropy).</param>
    public static ConfidenceLimitingLoss ConfidenceLimiting(int n = 4) => new(n);

    /// <summary>Dual-head KD (Yang et al. 2024): CE + KD on the main head, BinaryKL-Norm on an auxiliary head; see <see cref="DualHeadLoss"/>.</summary>
    /// <param name="temperature">KD temperature T on the main head (default 4).</param>
    /// <param name="auxTemperature">BinaryKL-Norm temperature on the auxiliary head (default 2).</param>
    /// <param name="ceWeight">CE weight (default 1).</param>
    /// <param name="kdWeight">KD weight (default 1).</param>
    /// <param name="auxWeight">Auxiliary-head weight (default 1).</param>
    public static DualHeadLoss DualHead(double temperature = 4.0, double auxTemperature = 2.0, double ceWeight = 1.0, double kdWeight = 1.0, double auxWeight = 1.0)
        => new(temperature, auxTemperature, ceWeight, kdWeight, auxWeight);

    /// <summary>TGeo-KD (Hu et al. 2024): Hinton KD with a learned per-sample fusion ratio, trained on held-out rows; see <see cref="TGeoKdLoss"/>.</summary>
    /// <param name="temperature">KD temperature T (default 4).</param>
    /// <param name="hiddenSize">Hidden units of the fusion network (default 64).</param>
    /// <param name="learningRate">Adam learning rate of the fusion network (default 1e-3).</param>
    /// <param name="virtualStep">Virtual SGD step η of the bilevel update (default 0.1).</param>
    public static TGeoKdLoss TGeoKd(double temperature = 4.0, int hiddenSize = 64, double learningRate = 1e-3, double virtualStep = 0.1)
        => new(temperature, hiddenSize, learningRate, virtualStep);

    /// <summary>Averages <paramref name="inner"/> over several dropout samples of the penultimate layer through the main head (Inoue 2019); see <see cref="MultiSampleDropoutLoss"/>.</summary>
    /// <param name="inner">The loss to average.</param>
    /// <param name="samples">Dropout samples M (default 8).</param>
    /// <param name="dropoutRate">Dropout rate p (default 0.5).</param>
    public static MultiSampleDropoutLoss MultiSampleDropout(DistillationLoss inner, int samples = 8, double dropoutRate = 0.5) => new(inner, samples, dropoutRate);
}
