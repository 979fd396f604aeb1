using MLNet.Distillation.Progress;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;

namespace MLNet.Distillation.Training;

/// <summary>Optimiser of the student.</summary>
public enum StudentOptimizer
{
    /// <summary>Adam (Kingma and Ba 2015); weight decay added to the gradient (L2).</summary>
    Adam,
    /// <summary>AdamW (Loshchilov and Hutter 2019); decoupled weight decay.</summary>
    AdamW,
}

/// <summary>Learning-rate schedule over the whole run (per optimisation step).</summary>
public enum LearningRateSchedule
{
    /// <summary>The learning rate stays at <see cref="StudentOptions.LearningRate"/> (after any warm-up).</summary>
    Constant,
    /// <summary>Cosine decay from the learning rate to zero over the run (after any warm-up).</summary>
    Cosine,
    /// <summary>One-cycle (Smith 2018): linear rise to the learning rate over the first 30 % (or the warm-up), then cosine decay to zero.</summary>
    OneCycle,
    /// <summary>
    /// Stable then decay (the warm-up–stable–decay schedule of Hu et al. 2024, "MiniCPM"): the learning rate stays at its
    /// peak (after any warm-up) for the first 80 % of the steps, then falls linearly to zero over the last 20 %.
    /// </summary>
    StableDecay,
}

/// <summary>What early stopping and best-epoch selection watch on the validation rows.</summary>
public enum EarlyStoppingMetric
{
    /// <summary>
    /// The task's main metric against the labels: accuracy (classification), RMSE (regression, lower is better) or NDCG@10
    /// (ranking); needs labelled validation rows and falls back to agreement with the teacher.
    /// </summary>
    Accuracy,
    /// <summary>Log-loss against the labels (lower is better).</summary>
    LogLoss,
    /// <summary>Top-1 agreement with the teacher.</summary>
    TeacherAgreement,
}

/// <summary>
/// Options of the student trainers: <c>mlContext.MulticlassClassification.Trainers.Student(...)</c>,
/// <c>BinaryClassification.Trainers.Student(...)</c>, <c>Regression.Trainers.Student(...)</c> and <c>Ranking.Trainers.Student(...)</c>.
/// </summary>
public sealed class StudentOptions
{
    /// <summary>Float vector column the student reads (default "Features").</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>Key-typed label column (default "Label"). Rows with a missing key, or no such column at all, train on the teacher alone.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>
    /// Teacher column written by <c>mlContext.Transforms.Distill(...)</c> (logits or probabilities, one per class).
    /// <c>null</c> (default) trains from scratch with cross-entropy — the fair baseline for any distilled student.
    /// </summary>
    public string? TeacherColumnName { get; set; }

    /// <summary>
    /// Several teacher columns kept separate (instead of <see cref="TeacherColumnName"/>): each batch's loss is computed once
    /// per teacher — with that teacher as <see cref="LossContext.Teacher"/> — and the student trains on their weighted sum;
    /// every call also sees all of them in <see cref="LossContext.Teachers"/> and <see cref="LossContext.TeacherWeights"/>.
    /// Validation metrics compare with the teachers' weighted probability mean. <c>null</c> (default): one teacher or none.
    /// To train on a single combined column instead, use <c>mlContext.Transforms.CombineTeachers(...)</c>.
    /// </summary>
    public string[]? TeacherColumnNames { get; set; }

    /// <summary>Weights of <see cref="TeacherColumnNames"/>, one per column, non-negative, normalised to sum to one; <c>null</c> (default) weighs them equally.</summary>
    public double[]? TeacherWeights { get; set; }

    /// <summary>
    /// The student's body, which turns the feature column into the features the hidden layers read: a CNN over an image,
    /// a text encoder over token ids, or your own TorchSharp module — see the factories of <see cref="StudentArchitecture"/>
    /// and docs/students.md. <c>null</c> (default): a plain MLP over the float feature vector (standardised by
    /// <see cref="StandardizeFeatures"/>). Every body trains in the same loop with the same losses.
    /// </summary>
    public StudentArchitecture? Architecture { get; set; }

    /// <summary>Hidden layer widths (default [128]); empty gives a linear (softmax-regression) student.</summary>
    public int[] HiddenLayers { get; set; } = [128];

    /// <summary>Activation after each hidden layer (default ReLU).</summary>
    public StudentActivation Activation { get; set; } = StudentActivation.Relu;

    /// <summary>Dropout probability after each hidden layer during training (default 0).</summary>
    public double Dropout { get; set; }

    /// <summary>Standardise features with the training mean and standard deviation inside the student (default true); the statistics ship with the model.</summary>
    public bool StandardizeFeatures { get; set; } = true;

    /// <summary>
    /// The loss. <c>null</c> (default): with a teacher column, <see cref="DistillationLoss.TeacherCorrected"/>(T=1, α=0)
    /// — rows without a label learn from the teacher (KL at temperature 1), labelled rows from their label — and
    /// <see cref="DistillationLoss.CrossEntropy"/> without a teacher. Chosen on a suite of held-out tasks
    /// (docs/results.md): distilling labelled rows as well gained nothing on average and cost up to 1.2 points where the
    /// teacher was weaker than the student, so the default never loses to training from scratch and gains where labels
    /// are scarce. Distil labelled rows too with <c>DistillationLoss.TeacherCorrected(1, 0.5)</c>; the textbook Hinton KD is
    /// <c>DistillationLoss.Hinton(4, 0.9)</c>; AutoDistill chooses among them on validation rows. Any <see cref="DistillationLoss"/> composition works.
    /// </summary>
    public DistillationLoss? Loss { get; set; }

    /// <summary>Optimiser (default AdamW).</summary>
    public StudentOptimizer Optimizer { get; set; } = StudentOptimizer.AdamW;

    /// <summary>Peak learning rate (default 1e-3).</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Weight decay (default 1e-4).</summary>
    public double WeightDecay { get; set; } = 1e-4;

    /// <summary>Learning-rate schedule (default <see cref="LearningRateSchedule.StableDecay"/>: the peak for 80 % of the steps, then a linear decay to zero).</summary>
    public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.StableDecay;

    /// <summary>Epochs of linear learning-rate warm-up (default 0).</summary>
    public int WarmupEpochs { get; set; }

    /// <summary>
    /// Ranking students only: the column naming each row's group — the query whose documents the student ranks against
    /// each other — a key or integer column (default "GroupId", as ML.NET's ranking trainers and evaluator). Rows of a
    /// group need not be contiguous; a batch holds whole groups.
    /// </summary>
    public string RowGroupColumnName { get; set; } = "GroupId";

    /// <summary>Embedding students only: the column the student's embedding is written to (default "Embedding").</summary>
    public string EmbeddingColumnName { get; set; } = "Embedding";

    /// <summary>Rows per optimisation step (default 128; for ranking, whole groups of about that many rows).</summary>
    public int BatchSize { get; set; } = 128;

    /// <summary>
    /// Passes over the training rows (default 20). Left at its default, a fit over a small training set runs more epochs
    /// until it makes <see cref="MinimumSteps"/> steps; set explicitly, it is exact (unless <see cref="MinimumSteps"/> is set too).
    /// </summary>
    public int Epochs { get => _epochs ?? DefaultEpochs; set => _epochs = value; }

    /// <summary>
    /// The fewest optimisation steps a fit makes: when <see cref="Epochs"/> passes over a small training set make fewer,
    /// the fit runs more epochs (at most 1,000) and says so in <c>MLContext.Log</c>. <c>null</c> (default): 6,000 when
    /// <see cref="Epochs"/> is left at its default, none when it is set. At 20 epochs a table of 600 rows gets 100 steps
    /// and stops far from convergence — 7–49 points below the same student after 6,000 steps on the suite of
    /// docs/results.md. 0 trains exactly <see cref="Epochs"/>.
    /// </summary>
    public int? MinimumSteps { get; set; }

    /// <summary>Epochs when <see cref="Epochs"/> is not set.</summary>
    public const int DefaultEpochs = 20;

    /// <summary>Steps a fit makes at least when neither <see cref="Epochs"/> nor <see cref="MinimumSteps"/> is set.</summary>
    public const int DefaultMinimumSteps = 6000;

    private int? _epochs;

    /// <summary><see cref="MinimumSteps"/> as it applies: the value set, else the default rule.</summary>
    internal int EffectiveMinimumSteps => MinimumSteps ?? (_epochs is null ? DefaultMinimumSteps : 0);

    /// <summary>Seed for initialisation and shuffling; <c>null</c> (default) derives one from the <c>MLContext</c> seed. Same seed, same data → same predictions on the CPU.</summary>
    public int? Seed { get; set; }

    /// <summary>Fraction of training rows held out (seeded) for validation, early stopping and best-epoch selection (default 0: none). Ignored when validation data is passed to <c>Fit</c>.</summary>
    public double ValidationFraction { get; set; }

    /// <summary>Stop after this many epochs without improvement of <see cref="EarlyStoppingMetric"/> on the validation rows; <c>null</c> (default) never stops early. With validation rows, the best epoch's weights are kept.</summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>Metric for early stopping and best-epoch selection (default accuracy).</summary>
    public EarlyStoppingMetric EarlyStoppingMetric { get; set; } = EarlyStoppingMetric.Accuracy;

    /// <summary>
    /// Teacher-hacking guard (Tiapkin et al. 2025, "On Teacher Hacking in Language Model Distillation"): with labelled
    /// validation rows and a teacher, warn (log + <see cref="EpochProgress.TeacherHackingSuspected"/>) when over this many
    /// epochs the fit to the teacher (validation KL) kept improving while the ground-truth validation log-loss got worse.
    /// Default 3; 0 disables.
    /// </summary>
    public int TeacherHackingWindow { get; set; } = 3;

    /// <summary>Stop training when teacher hacking is suspected and keep the epoch that was best on the ground truth (default false: only warn).</summary>
    public bool StopOnTeacherHacking { get; set; }

    /// <summary>
    /// Synthetic transfer set labelled online by the teacher: each step adds generated rows (noise, feature dropout,
    /// mixup, CutMix, shifts/flips, MUNGE) that the teacher scores in one batched ONNX Runtime call. Null (default): none.
    /// </summary>
    public TransferSetOptions? TransferSet { get; set; }

    /// <summary>
    /// Self-distillation without an ONNX teacher: a mean teacher (an exponential moving average of the student that teaches
    /// it on every row) or a random teacher (a first, label-free phase that distils a random network's representation).
    /// Multiclass and binary students, with no teacher column. Null (default): none. See <see cref="SelfDistillationOptions"/>.
    /// </summary>
    public SelfDistillationOptions? SelfDistillation { get; set; }

    /// <summary>
    /// Which training rows the student learns from and with what weight: <see cref="Training.DataStrategy.Prune"/>,
    /// <see cref="Training.DataStrategy.DomainReweighting"/>, <see cref="Training.DataStrategy.ReferenceSelection"/> or
    /// <see cref="Training.DataStrategy.OutOfDomainWeighting"/> (multiclass). Null (default): every row, equally.
    /// </summary>
    public DataStrategy? DataStrategy { get; set; }

    /// <summary>
    /// Train from the data view as it streams, through a shuffle buffer, instead of reading every row into memory: for data
    /// larger than memory. Null (default): the rows are read into memory once, the fastest way when they fit. See
    /// <see cref="StreamingOptions"/> for the passes it makes, how it shuffles and what it holds in memory.
    /// </summary>
    public StreamingOptions? Streaming { get; set; }

    /// <summary>
    /// Checkpoints of the fit: written every few steps or epochs, and resumed from automatically by a later fit with the same
    /// data, options and seed, which then ends exactly as an uninterrupted fit. Null (default): none. See <see cref="CheckpointOptions"/>.
    /// </summary>
    public CheckpointOptions? Checkpoint { get; set; }

    /// <summary>Called after every epoch with the loss terms and metrics; also logged to <c>MLContext.Log</c>.</summary>
    public Action<EpochProgress>? Progress { get; set; }

    /// <summary>
    /// How the label's key order is matched with the teacher's output order before training (default
    /// <see cref="Training.ClassAlignment.Auto"/>: by class names, integer values or the evidence of the labelled rows;
    /// a different order is aligned with a warning in <c>MLContext.Log</c>, an undecidable one stops <c>Fit</c> with the fix).
    /// </summary>
    public ClassAlignment ClassAlignment { get; set; } = ClassAlignment.Auto;

    /// <summary>Class names when there is no label column (the key values of <c>PredictedLabel</c>); default "0", "1", ….</summary>
    public string[]? ClassNames { get; set; }

    /// <summary>
    /// TorchSharp intra-op threads during the fit. <c>null</c> (default): one thread, unless a step holds at least
    /// 200 million multiply-adds (batch size × Σ inputs × outputs over the layers), then one per 200 million, at most
    /// one per core — small steps spend more on synchronising threads than they gain (measured in
    /// docs/performance.md). The count applies to the thread that calls <c>Fit</c> and the previous setting is restored
    /// when the fit ends. Waiting OpenMP threads sleep rather than spin: the library sets <c>OMP_WAIT_POLICY=PASSIVE</c>
    /// before libtorch loads unless the environment sets it (spinning threads made fits up to 20× slower on a busy machine).
    /// </summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>
    /// Cancels the fit. It is checked before every optimisation step, for every row read, and by a teacher pass that the
    /// fit sets off (a <c>Distill</c> soft-label cache being written); a cancelled fit throws
    /// <see cref="OperationCanceledException"/> there and leaves no file behind. Default: none.
    /// </summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// Called while the fit reads its rows — the stage that runs the teacher, since <c>Distill</c> is lazy, and that
    /// comes before the first epoch — when reading starts, at least once a second, and when it ends, with rows done,
    /// rows/s and, when the data knows its row count, the time left. Each report is also logged to <c>MLContext.Log</c>.
    /// A soft-label cache written during the fit reports as <see cref="LoadingStage.TeacherPass"/>. Default: none.
    /// </summary>
    public Action<LoadingProgress>? LoadingProgress { get; set; }

    /// <summary>How often a running pass reports (one second; tests shorten it).</summary>
    internal TimeSpan LoadingProgressInterval { get; set; } = ProgressMeter.DefaultInterval;

    internal StudentOptions Clone()
    {
        var copy = (StudentOptions)MemberwiseClone();
        copy.Streaming = Streaming?.Clone();
        return copy;
    }
}
