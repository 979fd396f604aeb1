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
/// Trains a TorchSharp MLP student on features, hard labels and (optionally) a teacher column, and returns a
/// <see cref="StudentTransformer"/> that scores like any ML.NET multiclass model (<c>Score</c>, <c>PredictedLabel</c>).
/// Created by <c>mlContext.MulticlassClassification.Trainers.Student(...)</c>.
/// </summary>
public sealed class StudentTrainer : IEstimator<StudentTransformer>
{
    private readonly IHostEnvironment _env;
    private readonly StudentOptions _options;

    internal StudentTrainer(IHostEnvironment env, StudentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        _env = env;
        _options = options.Clone();
    }

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
        var (all, loadedValidation) = LoadAligned(_env, o, trainData, validationData);
        TrainingSet train = all;
        TrainingSet? validation = loadedValidation;
        if (validation is null && o.ValidationFraction > 0) (train, validation) = all.Split(o.ValidationFraction, seed);

        bool ownLoss = o.Loss is null;
        var loss = o.Loss ?? DefaultLoss(o);
        if (ownLoss && loss.RequiresTeacher)
            _env.Info("Student", $"StudentOptions.Loss is not set: distilling with the default {loss.Name} — {DefaultDistillationReason}. " +
                "For the textbook Hinton KD set Loss = DistillationLoss.Hinton(4, 0.9).");
        try
        {
            var (network, history) = Train(_env, o, loss, train, validation, seed);
            return Build(_env, o, network, trainData, all.ClassCount, history, loss.Name, watch.Elapsed);
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
    internal static (TrainingSet Train, TrainingSet? Validation) LoadAligned(IHostEnvironment env, StudentOptions o, IDataView trainData, IDataView? validationData)
    {
        var aligner = new ClassAligner(o.ClassAlignment, m => env.Info("Student", m), m => env.Warn("Student", m));
        void Log(string message) => env.Info("Student", message);
        var train = TrainingSet.Load(trainData, o, aligner: aligner, log: Log);
        if (trainData.Schema.GetColumnOrNull(o.LabelColumnName) is null && o.ClassNames is { } names && names.Length != train.ClassCount)
            throw new ArgumentException($"StudentOptions.ClassNames lists {names.Length} names, but the teacher scores {train.ClassCount} classes. Name every teacher output, in its order.", nameof(o.ClassNames));
        aligner.Freeze();
        var validation = validationData is null ? null : TrainingSet.Load(validationData, o, train.ClassCount, train.FeatureCount, aligner, LoadingStage.ValidationRows, Log);
        return (train, validation);
    }

    internal static DistillationLoss DefaultLoss(StudentOptions o)
        => TrainingSet.TeacherColumns(o).Length == 0 ? DistillationLoss.CrossEntropy() : DefaultDistillation();

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

    /// <summary>Runs the training loop on rows already read into memory; shared by <see cref="Fit(IDataView, IDataView?)"/> and AutoDistill.</summary>
    internal static (StudentNetwork Network, IReadOnlyList<EpochProgress> History) Train(IHostEnvironment env, StudentOptions o, DistillationLoss loss,
        TrainingSet train, TrainingSet? validation, int seed)
    {
        if (loss.RequiresTeacher && !train.HasTeacher)
            throw new ArgumentException($"Loss '{loss.Name}' needs a teacher, but StudentOptions.TeacherColumnName is not set. Set it to the column written by mlContext.Transforms.Distill(...), or use DistillationLoss.CrossEntropy().");
        if (!train.HasLabels && !train.HasTeacher)
            throw new ArgumentException($"No training row has a label in column '{o.LabelColumnName}', and there is no teacher column: the student has nothing to learn from.");
        if (!train.HasLabels && !loss.RequiresTeacher)
            throw new ArgumentException($"No training row has a label in column '{o.LabelColumnName}', and loss '{loss.Name}' uses only labels. Set StudentOptions.TeacherColumnName and a distillation loss to learn from the teacher.");
        if (o.TransferSet is not null && !train.HasTeacher)
            throw new ArgumentException("StudentOptions.TransferSet needs a teacher column as well (StudentOptions.TeacherColumnName): the real rows are distilled from it and the synthetic rows from the online teacher.");

        loss.To(TorchSharp.torch.CPU);
        void Log(string message) => env.Info("Student", message);
        void Warn(string message) => env.Warn("Student", message);
        Log($"Training a {string.Join("-", new[] { train.FeatureCount }.Concat(o.HiddenLayers).Append(train.ClassCount))} student on {train.Rows} rows" +
            (validation is null ? "" : $", validating on {validation.Rows}") + $", loss {loss.Name}" +
            (o.TransferSet is { } ts ? $", transfer set {ts.Augmentations} ×{ts.RowsPerRealRow}" : "") + $", seed {seed}.");
        var loop = new TrainingLoop(o, loss, Log, Warn);
        var network = loop.Run(train, validation, seed);
        return (network, loop.History);
    }

    /// <summary>Wraps trained weights into the ML.NET scoring chain.</summary>
    internal static StudentTransformer Build(IHostEnvironment env, StudentOptions o, StudentNetwork network, IDataView trainData, int classCount,
        IReadOnlyList<EpochProgress> history, string lossName, TimeSpan elapsed)
    {
        var labelColumn = trainData.Schema.GetColumnOrNull(o.LabelColumnName);
        var labels = labelColumn is null
            ? o.ClassNames is { } names
                ? LabelKeyValues.FromNames(names)
                : LabelKeyValues.FromNames(Enumerable.Range(0, classCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray())
            : LabelKeyValues.FromColumn(labelColumn, classCount);
        var ml = env.ToMLContext();
        var chain = MlNetScoringPipeline.Build(ml, network, o.FeatureColumnName, trainData, labels, "Score", "PredictedLabel");
        return new StudentTransformer(chain, network, labels.Names, o.FeatureColumnName, history, lossName, elapsed);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var columns = inputSchema.ToDictionary(c => c.Name);
        if (!columns.TryGetValue(_options.FeatureColumnName, out var f) || f.Kind != SchemaShape.Column.VectorKind.Vector || f.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"Student feature column '{_options.FeatureColumnName}' must exist and be a fixed-size float vector. Columns: {string.Join(", ", columns.Keys)}.");
        foreach (var t in TrainingSet.TeacherColumns(_options))
            if (!columns.ContainsKey(t))
                throw new ArgumentException($"Teacher column '{t}' was not found. Columns: {string.Join(", ", columns.Keys)}. Add mlContext.Transforms.Distill(\"{t}\", ...) before the trainer.");
        bool hasLabel = columns.TryGetValue(_options.LabelColumnName, out var label);
        if (hasLabel && !label.IsKey)
            throw new ArgumentException($"Label column '{_options.LabelColumnName}' has type {label.ItemType}; the student needs a key-typed label. Add mlContext.Transforms.Conversion.MapValueToKey(\"{_options.LabelColumnName}\") before the trainer.");
        // As ML.NET's own multiclass trainers declare them: Score carries slot names and PredictedLabel the label's key
        // values, so MapKeyToValue, Evaluate and the like can follow the trainer in an estimator chain.
        var keyValues = hasLabel && label.Annotations is { } a && a.Any(c => c.Name == "KeyValues")
            ? a.First(c => c.Name == "KeyValues")
            : SchemaShapes.Column("KeyValues", SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false);
        var slotNames = SchemaShapes.Column("SlotNames", SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false);
        columns["Score"] = SchemaShapes.Column("Score", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, new SchemaShape([slotNames]));
        columns["PredictedLabel"] = SchemaShapes.Column("PredictedLabel", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, isKey: true, new SchemaShape([keyValues]));
        return new SchemaShape(columns.Values);
    }

    internal static void Validate(StudentOptions o)
    {
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
        o.TransferSet?.Validate();
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
