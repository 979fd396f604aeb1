using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Distillation.Progress;
using MLNet.Distillation.Export;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;

namespace MLNet.Distillation.Training;

/// <summary>
/// Trains a TorchSharp MLP student on features, labels and (optionally) a teacher column, and returns a
/// <see cref="StudentTransformer"/> that scores like ML.NET's own models of the task. Created by
/// <c>mlContext.MulticlassClassification.Trainers.Student(...)</c> (<c>Score</c>, <c>PredictedLabel</c>),
/// <c>BinaryClassification.Trainers.Student(...)</c> (<c>Score</c>, <c>Probability</c>, <c>PredictedLabel</c>),
/// <c>Regression.Trainers.Student(...)</c> and <c>Ranking.Trainers.Student(...)</c> (<c>Score</c>). One training loop
/// serves every task; the task decides the output width, how labels and teacher are read and which losses apply.
/// </summary>
public sealed partial class StudentTrainer : IEstimator<StudentTransformer>
{
    private readonly IHostEnvironment _env;
    private readonly StudentOptions _options;

    internal StudentTrainer(IHostEnvironment env, StudentOptions options, DistillationTask task = DistillationTask.MulticlassClassification)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options, task);
        _env = env;
        _options = options.Clone();
        Task = task;
    }

    /// <summary>The task this trainer's students learn.</summary>
    public DistillationTask Task { get; }

    /// <summary>The options this trainer was created with (a copy).</summary>
    public StudentOptions Options => _options.Clone();

    /// <summary>Trains on <paramref name="input"/>, holding out <see cref="StudentOptions.ValidationFraction"/> of it for validation when set.</summary>
    public StudentTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>Trains on <paramref name="trainData"/> and validates each epoch on <paramref name="validationData"/> (already transformed by the same upstream pipeline).</summary>
    /// <param name="trainData">Training rows with the feature, label and teacher columns.</param>
    /// <param name="validationData">Validation rows with the same columns, or null.</param>
    public StudentTransformer Fit(IDataView trainData, IDataView? validationData)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        var watch = Stopwatch.StartNew();
        var o = _options;
        int seed = o.Seed ?? _env.Register("Student").Rand.Next();
        bool ownLoss = o.Loss is null;
        var loss = o.Loss ?? DefaultLoss(o, Task);
        try
        {
            CheckTask(loss, Task);
            FitCheckpoints.CheckSupported(o, loss);   // before the rows are read: that may run the teacher for long
            if (ownLoss && o.DataStrategy?.DefaultLoss(o) is { } strategyLoss)
            {
                _env.Info("Student", $"StudentOptions.Loss is not set: {o.DataStrategy.Name} distils with {strategyLoss.Name}.");
                strategyLoss.Dispose();
            }
            else if (ownLoss && TrainingSet.TeacherColumns(o).Length > 0)
                _env.Info("Student", $"StudentOptions.Loss is not set: distilling with the default {loss.Name} — {DefaultDistillationReason}. " +
                    $"To distil labelled rows too, {DistilLabelledRowsHint(Task)}.");
            if (o.Streaming is not null) return FitStreaming(trainData, validationData, loss, seed, watch);
            var (all, loadedValidation) = LoadAligned(_env, o, trainData, validationData, Task, loss.PredictsThroughSigmoid, loss.TeacherColumns.ToArray());
            TrainingSet train = all;
            TrainingSet? validation = loadedValidation;
            if (validation is null && o.ValidationFraction > 0) (train, validation) = all.Split(o.ValidationFraction, seed);
            var strategy = o.DataStrategy?.Start(o, trainData, validationData, train, validation, loss);
            var (network, history) = Train(_env, o, loss, train, validation, seed, strategy);
            return Build(_env, o, ForTask(network, all, loss), trainData, all.ClassCount, history, loss.Name, watch.Elapsed);
        }
        finally
        {
            if (ownLoss) loss.Dispose();
        }
    }

    /// <summary>
    /// Reads the training rows (and the validation rows, when given) into memory, with the teacher columns put into the
    /// label's key order (<see cref="StudentOptions.ClassAlignment"/>) — decided on the training rows, before any step.
    /// </summary>
    internal static (TrainingSet Train, TrainingSet? Validation) LoadAligned(IHostEnvironment env, StudentOptions o, IDataView trainData, IDataView? validationData,
        DistillationTask task = DistillationTask.MulticlassClassification, bool rawTargets = false, IReadOnlyList<string>? extraColumns = null)
    {
        var aligner = new ClassAligner(o.ClassAlignment, m => env.Info("Student", m), m => env.Warn("Student", m));
        void Log(string message) => env.Info("Student", message);
        var train = TrainingSet.Load(trainData, o, task, null, aligner, LoadingStage.TrainingRows, Log, rawTargets, extraColumns);
        CheckClassNames(o, trainData, train.ClassCount);
        aligner.Freeze();
        var validation = validationData is null ? null : TrainingSet.Load(validationData, o, task, train, aligner, LoadingStage.ValidationRows, Log, rawTargets, extraColumns);
        return (train, validation);
    }

    /// <summary>
    /// The loss of a fit without <see cref="StudentOptions.Loss"/>: the task's default distillation (with a teacher
    /// column), or its label loss (without one). The binary, regression and ranking defaults learn from the labels alone
    /// when there is no teacher, so they serve both.
    /// </summary>
    internal static DistillationLoss DefaultLoss(StudentOptions o, DistillationTask task = DistillationTask.MulticlassClassification) => o.DataStrategy?.DefaultLoss(o) ?? o.SelfDistillation?.DefaultLoss() ?? task switch
    {
        DistillationTask.BinaryClassification => DistillationLoss.BinaryKd(DefaultTemperature, DefaultAlpha),
        DistillationTask.Regression => DistillationLoss.RegressionKd(DefaultAlpha),
        DistillationTask.Ranking => DistillationLoss.RankingKd(DefaultTemperature, DefaultAlpha),
        DistillationTask.Embedding => DistillationLoss.EmbeddingCosine(),
        _ => TrainingSet.TeacherColumns(o).Length == 0 ? DistillationLoss.CrossEntropy() : DefaultDistillation(),
    };

    private static string DistilLabelledRowsHint(DistillationTask task) => task switch
    {
        DistillationTask.BinaryClassification => "set Loss = DistillationLoss.BinaryKd(1, 0.5)",
        DistillationTask.Regression => "set Loss = DistillationLoss.RegressionKd(0.5) or DistillationLoss.TeacherBounded()",
        DistillationTask.Ranking => "set Loss = DistillationLoss.RankingKd(1, 0.5) or DistillationLoss.MarginMse()",
        DistillationTask.Embedding => "use a contrastive loss, DistillationLoss.EmbeddingContrastive(), or a triplet loss, DistillationLoss.EmbeddingTriplet()",
        _ => "set Loss = DistillationLoss.TeacherCorrected(1, 0.5) (or the textbook Hinton KD, DistillationLoss.Hinton(4, 0.9))",
    };

    /// <summary>Refuses a loss made for other tasks, naming those it is for.</summary>
    internal static void CheckTask(DistillationLoss loss, DistillationTask task)
    {
        if (loss.Tasks.Contains(task)) return;
        throw new ArgumentException($"Loss '{loss.Name}' is made for {(loss.Tasks.Count == 0 ? "no single task (its parts disagree)" : string.Join(", ", loss.Tasks))}, not {task}. " +
            task switch
            {
                DistillationTask.BinaryClassification => "For a binary student use DistillationLoss.BinaryKd(...).",
                DistillationTask.Regression => "For a regression student use DistillationLoss.RegressionKd(...), TeacherBounded(...), TolerantTough(...) or BernoulliKl(...).",
                DistillationTask.Ranking => "For a ranking student use DistillationLoss.RankingKd(...), ListNet(), ListwiseKl(...), MarginMse() or RankNet().",
                DistillationTask.Embedding => "For an embedding student use DistillationLoss.EmbeddingCosine(), EmbeddingContrastive(...) or EmbeddingTriplet(...).",
                _ => "For a multiclass student use DistillationLoss.TeacherCorrected(...), Hinton(...), CrossEntropy() or the other multiclass losses.",
            }, nameof(StudentOptions.Loss));
    }

    /// <summary>
    /// The trained network as the task's student: regression outputs put back into the targets' units (the
    /// standardisation folded into the last layer), the task and the sigmoid recorded for export.
    /// </summary>
    internal static StudentNetwork ForTask(StudentNetwork network, TrainingSet set, DistillationLoss loss)
    {
        var layers = network.Layers.ToList();
        if (set.Scaling is { } scaling)
        {
            var last = layers[^1];
            var (w, b) = scaling.Fold(last.Weights, last.Bias, last.Inputs);
            layers[^1] = last with { Weights = w, Bias = b };
        }
        return new StudentNetwork(network.InputSize, layers, network.Activation, network.FeatureMean, network.FeatureScale, set.Task,
            set.Task == DistillationTask.Regression && loss.PredictsThroughSigmoid, network.Body);
    }

    /// <summary>The loss of a student with a teacher column and no <see cref="StudentOptions.Loss"/>: see docs/results.md for the study that chose it.</summary>
    internal static DistillationLoss DefaultDistillation() => DistillationLoss.TeacherCorrected(DefaultTemperature, DefaultAlpha);

    /// <summary>Temperature of the default distillation.</summary>
    internal const double DefaultTemperature = 1;

    /// <summary>Weight of the distillation term on labelled rows the teacher gets right (the rest goes to cross-entropy on the labels).</summary>
    internal const double DefaultAlpha = 0;

    /// <summary>What the log says when a fit distils with the default loss.</summary>
    internal const string DefaultDistillationReason =
        "the teacher teaches the rows without a label and labelled rows learn from their labels, because on a suite of " +
        "held-out tasks distilling labelled rows as well gained nothing on average and cost up to 1.2 points where the teacher " +
        "was weaker than the student, and the textbook Hinton KD (T=4, α=0.9) cost up to 6 points (docs/results.md). " +
        "To distil labelled rows too, set Loss = DistillationLoss.TeacherCorrected(1, 0.5), or let AutoDistill choose on validation rows";

    /// <summary>Without a label column, <see cref="StudentOptions.ClassNames"/> must name every teacher output.</summary>
    private static void CheckClassNames(StudentOptions o, IDataView trainData, int classCount)
    {
        if (trainData.Schema.GetColumnOrNull(o.LabelColumnName) is null && o.ClassNames is { } names && names.Length != classCount)
            throw new ArgumentException($"StudentOptions.ClassNames lists {names.Length} names, but the teacher scores {classCount} classes. Name every teacher output, in its order.", nameof(o.ClassNames));
    }

    /// <summary>Runs the training loop on rows already read into memory; shared by <see cref="Fit(IDataView, IDataView?)"/> and AutoDistill (the network it returns is in training form: see <see cref="ForTask"/>).</summary>
    internal static (StudentNetwork Network, IReadOnlyList<EpochProgress> History) Train(IHostEnvironment env, StudentOptions o, DistillationLoss loss,
        TrainingSet train, TrainingSet? validation, int seed, DataStrategyRun? strategy = null)
    {
        if (o.DataStrategy is not null && strategy is null)
            throw new ArgumentException($"StudentOptions.DataStrategy ({o.DataStrategy.Name}) is applied by the Student trainers' Fit; AutoDistill does not apply it. Set it on the Student trainer, or leave it null in AutoDistillOptions.Student.", nameof(StudentOptions.DataStrategy));
        strategy?.Check(loss);
        return Train(env, o, loss, train, train.Rows, validation, seed, loop => loop.Run(train, validation, seed), strategy);
    }

    /// <summary>Runs the training loop on the batches of <paramref name="source"/> (streaming; the network it returns is in training form: see <see cref="ForTask"/>).</summary>
    internal static (StudentNetwork Network, IReadOnlyList<EpochProgress> History) Train(IHostEnvironment env, StudentOptions o, DistillationLoss loss,
        IBatchSource source, TrainingSet? validation, int seed)
        => Train(env, o, loss, source.Set, source.Rows, validation, seed, loop => loop.Run(source, validation, seed), null);

    /// <summary>Checks that <paramref name="train"/> (the rows' shape) and the loss fit together, then trains with <paramref name="run"/>.</summary>
    private static (StudentNetwork Network, IReadOnlyList<EpochProgress> History) Train(IHostEnvironment env, StudentOptions o, DistillationLoss loss,
        TrainingSet train, long rows, TrainingSet? validation, int seed, Func<TrainingLoop, StudentNetwork> run, DataStrategyRun? strategy)
    {
        if (loss.RequiresTeacher && !train.HasTeacher && o.SelfDistillation is not { Mode: SelfDistillationMode.MeanTeacher })
            throw new ArgumentException($"Loss '{loss.Name}' needs a teacher, but StudentOptions.TeacherColumnName is not set. Set it to the column written by mlContext.Transforms.Distill(...), or use DistillationLoss.CrossEntropy().");
        if (!train.HasLabels && !train.HasTeacher)
            throw new ArgumentException($"No training row has a label in column '{o.LabelColumnName}', and there is no teacher column: the student has nothing to learn from.");
        if (!train.HasLabels && !loss.UsesTeacher)
            throw new ArgumentException($"No training row has a label in column '{o.LabelColumnName}', and loss '{loss.Name}' uses only labels. Set StudentOptions.TeacherColumnName and a distillation loss to learn from the teacher.");
        if (o.TransferSet is not null && loss.TeacherColumns.Any())
            throw new ArgumentException($"Loss '{loss.Name}' reads teacher columns [{string.Join(", ", loss.TeacherColumns)}] besides the teacher's outputs, which synthetic transfer-set rows do not have. Use StudentOptions.TransferSet with a loss on the teacher's outputs only.");
        if (o.TransferSet is not null && !train.HasTeacher)
            throw new ArgumentException("StudentOptions.TransferSet needs a teacher column as well (StudentOptions.TeacherColumnName): the real rows are distilled from it and the synthetic rows from the online teacher.");

        loss.To(TorchSharp.torch.CPU);
        void Log(string message) => env.Info("Student", message);
        void Warn(string message) => env.Warn("Student", message);
        Log($"Training a {string.Join("-", new[] { o.Architecture?.Describe() ?? train.FeatureCount.ToString(System.Globalization.CultureInfo.InvariantCulture) }.Concat(o.HiddenLayers.Append(train.ClassCount).Select(w => w.ToString(System.Globalization.CultureInfo.InvariantCulture))))} student on {rows} rows{(o.Streaming is null ? "" : " (streamed)")}" +
            (validation is null ? "" : $", validating on {validation.Rows}") + $", loss {loss.Name}" +
            (o.TransferSet is { } ts ? $", transfer set {ts.Augmentations} ×{ts.RowsPerRealRow}" : "") +
            (o.SelfDistillation is { } sd ? $", self-distillation: {sd.Describe()}" : "") + $", seed {seed}.");
        var loop = new TrainingLoop(o, loss, Log, Warn) { Strategy = strategy };
        var network = run(loop);
        return (network, loop.History);
    }

    /// <summary>Wraps trained weights into the ML.NET scoring chain.</summary>
    internal static StudentTransformer Build(IHostEnvironment env, StudentOptions o, StudentNetwork network, IDataView trainData, int classCount,
        IReadOnlyList<EpochProgress> history, string lossName, TimeSpan elapsed)
    {
        var ml = env.ToMLContext();
        network = TokenIdReader.WithVocabulary(network, trainData.Schema[o.FeatureColumnName]);
        if (network.Task != DistillationTask.MulticlassClassification)
        {
            string[] outputNames = network.Task == DistillationTask.BinaryClassification ? ["False", "True"] : [];
            var scorer = MlNetScoringPipeline.Build(ml, network, o.FeatureColumnName, trainData, null,
                network.Task == DistillationTask.Embedding ? o.EmbeddingColumnName : "Score", "PredictedLabel");
            return new StudentTransformer(scorer, network, outputNames, o.FeatureColumnName, history, lossName, elapsed);
        }
        var labelColumn = trainData.Schema.GetColumnOrNull(o.LabelColumnName);
        var labels = labelColumn is null
            ? o.ClassNames is { } names
                ? LabelKeyValues.FromNames(names)
                : LabelKeyValues.FromNames(Enumerable.Range(0, classCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray())
            : LabelKeyValues.FromColumn(labelColumn, classCount);
        var chain = MlNetScoringPipeline.Build(ml, network, o.FeatureColumnName, trainData, labels, "Score", "PredictedLabel");
        return new StudentTransformer(chain, network, labels.Names, o.FeatureColumnName, history, lossName, elapsed);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var columns = inputSchema.ToDictionary(c => c.Name);
        if (_options.Architecture is TokenStudentArchitecture)
            TokenIdReader.CheckShape(_options.FeatureColumnName, columns.TryGetValue(_options.FeatureColumnName, out var tokens) ? tokens : null, columns.Keys);
        else if (!columns.TryGetValue(_options.FeatureColumnName, out var f) || f.Kind != SchemaShape.Column.VectorKind.Vector || f.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"Student feature column '{_options.FeatureColumnName}' must exist and be a fixed-size float vector. Columns: {string.Join(", ", columns.Keys)}.");
        foreach (var t in TrainingSet.TeacherColumns(_options))
            if (!columns.ContainsKey(t))
                throw new ArgumentException($"Teacher column '{t}' was not found. Columns: {string.Join(", ", columns.Keys)}. Add mlContext.Transforms.Distill(\"{t}\", ...) before the trainer.");
        bool hasLabel = columns.TryGetValue(_options.LabelColumnName, out var label);
        var scalar = SchemaShape.Column.VectorKind.Scalar;
        if (Task == DistillationTask.Embedding)
        {
            if (_options.TeacherColumnName is null || !columns.ContainsKey(_options.TeacherColumnName))
                throw new ArgumentException($"An embedding student needs the teacher's embedding column (StudentOptions.TeacherColumnName = '{_options.TeacherColumnName}'). Columns: {string.Join(", ", columns.Keys)}.");
            columns[_options.EmbeddingColumnName] = SchemaShapes.Column(_options.EmbeddingColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
            return new SchemaShape(columns.Values);
        }
        if (Task != DistillationTask.MulticlassClassification)
        {
            if (hasLabel && !LabelFits(label))
                throw new ArgumentException($"Label column '{_options.LabelColumnName}' has type {label.ItemType}{(label.Kind == scalar ? "" : " (vector)")}, which a {Task} student cannot learn from: " + Task switch
                {
                    DistillationTask.BinaryClassification => "it needs a Boolean label, or a Single holding 0/1 (NaN: no label).",
                    DistillationTask.Regression => "it needs a Single label, or a vector of Single for several outputs (NaN: no label).",
                    _ => "it needs a Single relevance grade (NaN: no label) or a key.",
                });
            if (Task == DistillationTask.Ranking && !columns.ContainsKey(_options.RowGroupColumnName))
                throw new ArgumentException($"Group column '{_options.RowGroupColumnName}' was not found. Columns: {string.Join(", ", columns.Keys)}. Set StudentOptions.RowGroupColumnName to the column naming each row's query.");
            bool vectorScore = Task == DistillationTask.Regression && hasLabel && label.Kind != scalar;
            columns["Score"] = SchemaShapes.Column("Score", vectorScore ? SchemaShape.Column.VectorKind.Vector : scalar, NumberDataViewType.Single, false);
            if (Task == DistillationTask.BinaryClassification)
            {
                columns["Probability"] = SchemaShapes.Column("Probability", scalar, NumberDataViewType.Single, false);
                columns["PredictedLabel"] = SchemaShapes.Column("PredictedLabel", scalar, BooleanDataViewType.Instance, false);
            }
            return new SchemaShape(columns.Values);
        }
        if (hasLabel && !label.IsKey)
            throw new ArgumentException($"Label column '{_options.LabelColumnName}' has type {label.ItemType}; the student needs a key-typed label. Add mlContext.Transforms.Conversion.MapValueToKey(\"{_options.LabelColumnName}\") before the trainer.");
        // As ML.NET's own multiclass trainers declare them: Score carries slot names and PredictedLabel the label's key
        // values, so MapKeyToValue, Evaluate and the like can follow the trainer in an estimator chain.
        var keyValues = hasLabel && label.Annotations is { } a && a.Any(c => c.Name == "KeyValues")
            ? a.First(c => c.Name == "KeyValues")
            : SchemaShapes.Column("KeyValues", SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false);
        var slotNames = SchemaShapes.Column("SlotNames", SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false);
        columns["Score"] = SchemaShapes.Column("Score", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, new SchemaShape([slotNames]));
        columns["PredictedLabel"] = SchemaShapes.Column("PredictedLabel", scalar, NumberDataViewType.UInt32, isKey: true, new SchemaShape([keyValues]));
        return new SchemaShape(columns.Values);
    }

    /// <summary>Whether a label column of this shape suits the trainer's (non-multiclass) task.</summary>
    private bool LabelFits(SchemaShape.Column label)
    {
        bool real = label.ItemType == NumberDataViewType.Single || label.ItemType == NumberDataViewType.Double;
        bool scalar = label.Kind == SchemaShape.Column.VectorKind.Scalar;
        return Task switch
        {
            DistillationTask.BinaryClassification => scalar && (real || label.ItemType == BooleanDataViewType.Instance),
            DistillationTask.Regression => real && label.Kind != SchemaShape.Column.VectorKind.VariableVector,
            _ => scalar && (real || label.IsKey),
        };
    }

    /// <summary>
    /// Refuses the options that perturb float features, which would turn a text student's token ids into other words:
    /// synthetic transfer sets and the mean teacher's input noise.
    /// </summary>
    private static void ValidateTokenInput(StudentOptions o, StudentArchitecture tokens)
    {
        if (o.TransferSet is not null)
            throw new ArgumentException($"StudentOptions.TransferSet makes synthetic rows by perturbing float features; the {tokens.Describe()} student reads token ids, which have no such neighbours. Leave TransferSet null and distil on unlabelled text rows instead.", nameof(o.TransferSet));
        if (o.SelfDistillation is { Mode: SelfDistillationMode.MeanTeacher, InputNoise: > 0 } sd)
            throw new ArgumentException($"SelfDistillationOptions.InputNoise ({sd.InputNoise}) adds noise to float features; the {tokens.Describe()} student reads token ids. Set InputNoise to 0.", nameof(o.SelfDistillation));
    }

    internal static void Validate(StudentOptions o, DistillationTask task = DistillationTask.MulticlassClassification)
    {
        if (task != DistillationTask.MulticlassClassification)
        {
            if (o.TransferSet is not null)
                throw new ArgumentException($"StudentOptions.TransferSet works with multiclass students; a {task} student learns from the rows given (unlabelled rows included).", nameof(o.TransferSet));
            if (o.ClassNames is not null)
                throw new ArgumentException($"StudentOptions.ClassNames names a multiclass teacher's classes; a {task} student has none. Leave it null.", nameof(o.ClassNames));
        }
        if (task == DistillationTask.Embedding)
        {
            if (o.TeacherColumnNames is not null)
                throw new ArgumentException("An embedding student learns one teacher's embedding: set StudentOptions.TeacherColumnName, not TeacherColumnNames.", nameof(o.TeacherColumnNames));
            if (string.IsNullOrWhiteSpace(o.EmbeddingColumnName))
                throw new ArgumentException("StudentOptions.EmbeddingColumnName must name the column the embedding is written to (default \"Embedding\").", nameof(o.EmbeddingColumnName));
        }
        if (task == DistillationTask.Ranking && string.IsNullOrWhiteSpace(o.RowGroupColumnName))
            throw new ArgumentException("StudentOptions.RowGroupColumnName must name the column that gives each row's query (default \"GroupId\").", nameof(o.RowGroupColumnName));
        if (o.Epochs < 1) throw new ArgumentOutOfRangeException(nameof(o.Epochs), o.Epochs, "StudentOptions.Epochs must be at least 1.");
        if (o.MinimumSteps < 0) throw new ArgumentOutOfRangeException(nameof(o.MinimumSteps), o.MinimumSteps, "StudentOptions.MinimumSteps cannot be negative (0 trains exactly Epochs).");
        if (o.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(o.BatchSize), o.BatchSize, "StudentOptions.BatchSize must be at least 1.");
        if (!(o.LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(o.LearningRate), o.LearningRate, "StudentOptions.LearningRate must be positive (typical 1e-4 to 1e-2).");
        if (o.WeightDecay < 0) throw new ArgumentOutOfRangeException(nameof(o.WeightDecay), o.WeightDecay, "StudentOptions.WeightDecay cannot be negative.");
        if (o.Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(o.Dropout), o.Dropout, "StudentOptions.Dropout must lie in [0, 1).");
        if (o.ValidationFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(o.ValidationFraction), o.ValidationFraction, "StudentOptions.ValidationFraction must lie in [0, 1).");
        if (o.HiddenLayers is null || o.HiddenLayers.Any(h => h < 1)) throw new ArgumentException("StudentOptions.HiddenLayers must list positive widths (e.g. [256, 128]); use an empty array for a linear student.", nameof(o.HiddenLayers));
        if (o.WarmupEpochs < 0) throw new ArgumentOutOfRangeException(nameof(o.WarmupEpochs), o.WarmupEpochs, "StudentOptions.WarmupEpochs cannot be negative.");
        if (o.TeacherHackingWindow < 0) throw new ArgumentOutOfRangeException(nameof(o.TeacherHackingWindow), o.TeacherHackingWindow, "StudentOptions.TeacherHackingWindow cannot be negative (0 disables the guard).");
        o.TransferSet?.Validate(CnnArchitecture.ImageShapeOf(o.Architecture));
        o.DataStrategy?.Validate(o, task);
        o.Streaming?.Validate(o, task);
        o.SelfDistillation?.Validate(o, task);
        if (o.Architecture is { Input: StudentInput.TokenIds } tokens) ValidateTokenInput(o, tokens);
        if (o.TeacherColumnNames is { } several)
        {
            if (o.TeacherColumnName is not null)
                throw new ArgumentException("Set either StudentOptions.TeacherColumnName (one teacher) or StudentOptions.TeacherColumnNames (several kept separate), not both.", nameof(o.TeacherColumnNames));
            if (several.Length == 0 || several.Any(string.IsNullOrWhiteSpace) || several.Distinct().Count() != several.Length)
                throw new ArgumentException($"StudentOptions.TeacherColumnNames must list distinct teacher columns (got [{string.Join(", ", several)}]); use null for no teacher.", nameof(o.TeacherColumnNames));
            Teachers.TeacherWeighting.Normalise(o.TeacherWeights, several.Length, "StudentOptions.TeacherWeights", "teacher columns");
        }
        else if (o.TeacherWeights is not null)
            throw new ArgumentException("StudentOptions.TeacherWeights weighs the columns of StudentOptions.TeacherColumnNames, which is not set.", nameof(o.TeacherWeights));
        if (o.TeacherColumnNames is not null && o.TransferSet is not null)
            throw new ArgumentException("StudentOptions.TransferSet works with one teacher column (TeacherColumnName); combine several teachers into one column with mlContext.Transforms.CombineTeachers(...) to use it.", nameof(o.TransferSet));
        if (o.EarlyStoppingPatience is < 1) throw new ArgumentOutOfRangeException(nameof(o.EarlyStoppingPatience), o.EarlyStoppingPatience, "StudentOptions.EarlyStoppingPatience must be at least 1 (or null).");
        if (o.NumberOfThreads is < 1) throw new ArgumentOutOfRangeException(nameof(o.NumberOfThreads), o.NumberOfThreads, "StudentOptions.NumberOfThreads must be at least 1 (or null: chosen by the size of a step).");
    }
}
