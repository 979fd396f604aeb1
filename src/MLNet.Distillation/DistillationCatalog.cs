using Microsoft.ML;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;

namespace MLNet.Distillation;

/// <summary>ML.NET catalog extensions of MLNet.Distillation: <c>mlContext.Transforms.Distill(...)</c> and <c>mlContext.MulticlassClassification.Trainers.Student(...)</c>.</summary>
public static partial class DistillationCatalog
{
    /// <summary>
    /// Runs an ONNX teacher over the data in batches with ONNX Runtime and adds its output (logits or probabilities) as a
    /// float vector column, for a student trainer downstream. The teacher runs only when its column is read.
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="outputColumnName">Column that receives the teacher's first output (e.g. "TeacherLogits").</param>
    /// <param name="inputColumnName">Column that feeds the teacher's single input; its item type and size must match the input (e.g. 784 floats for [N,1,28,28]).</param>
    /// <param name="teacherModelPath">Path of the teacher's .onnx file.</param>
    /// <param name="batchSize">Rows per ONNX Runtime call (default 256).</param>
    /// <param name="gpuDeviceId">CUDA device for the teacher, or null (default) for the CPU.</param>
    /// <param name="fallbackToCpu">When the GPU is not usable, run on the CPU with a warning in <c>MLContext.Log</c> (default true).</param>
    /// <param name="cachePath">Soft-label cache file: the teacher runs once, later passes and later processes read its outputs from there (default null: no cache; see <see cref="DistillOptions.CachePath"/>).</param>
    public static DistillEstimator Distill(this TransformsCatalog catalog, string outputColumnName, string inputColumnName, string teacherModelPath,
        int batchSize = 256, int? gpuDeviceId = null, bool fallbackToCpu = true, string? cachePath = null)
        => catalog.Distill(new DistillOptions
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            TeacherModelPath = teacherModelPath,
            BatchSize = batchSize,
            GpuDeviceId = gpuDeviceId,
            FallbackToCpu = fallbackToCpu,
            CachePath = cachePath,
        });

    /// <summary>
    /// Runs an ONNX teacher with several inputs and/or outputs, GPU and threading settings, over the data in batches
    /// (see <see cref="DistillOptions"/>).
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="options">Teacher path, column mapping and runtime settings.</param>
    public static DistillEstimator Distill(this TransformsCatalog catalog, DistillOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new DistillEstimator(HostEnvironment.From(catalog), options);
    }
}

public static partial class DistillationCatalog
{
    /// <summary>
    /// Trains a small TorchSharp MLP student, distilled from a teacher column when <paramref name="teacherColumnName"/>
    /// is set (the default distillation: <c>DistillationLoss.TeacherCorrected(1, 0)</c>, see docs/results.md) or from the
    /// labels alone when it is null (the from-scratch baseline).
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog (<c>mlContext.MulticlassClassification.Trainers</c>).</param>
    /// <param name="teacherColumnName">Column written by <c>Transforms.Distill</c>, or null to train from scratch.</param>
    /// <param name="labelColumnName">Key-typed label column (default "Label"); rows with a missing label learn from the teacher alone.</param>
    /// <param name="featureColumnName">Float vector feature column (default "Features").</param>
    /// <param name="hiddenLayers">Hidden widths (default [128]).</param>
    /// <param name="epochs">Passes over the data; null (default) uses <see cref="Training.StudentOptions.Epochs"/>'s rule: 20, or more until the fit makes 6,000 steps.</param>
    /// <param name="learningRate">Peak learning rate (default 1e-3, stable-then-decay schedule).</param>
    /// <param name="batchSize">Rows per step (default 128).</param>
    /// <param name="seed">Seed; null derives one from the MLContext seed.</param>
    public static StudentTrainer Student(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string? teacherColumnName = null, string labelColumnName = "Label", string featureColumnName = "Features",
        int[]? hiddenLayers = null, int? epochs = null, double learningRate = 1e-3, int batchSize = 128, int? seed = null)
        => catalog.Student(PlainOptions(teacherColumnName, labelColumnName, featureColumnName, hiddenLayers, epochs, learningRate, batchSize, seed));

    /// <summary>The options of the plain-parameter overloads; <c>Epochs</c> is set only when given, so that the default step rule applies otherwise.</summary>
    private static Training.StudentOptions PlainOptions(string? teacherColumnName, string labelColumnName, string featureColumnName,
        int[]? hiddenLayers, int? epochs, double learningRate, int batchSize, int? seed)
    {
        var options = new Training.StudentOptions
        {
            TeacherColumnName = teacherColumnName,
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            HiddenLayers = hiddenLayers ?? [128],
            LearningRate = learningRate,
            BatchSize = batchSize,
            Seed = seed,
        };
        if (epochs is int e) options.Epochs = e;
        return options;
    }

    /// <summary>Trains a student with every setting of <see cref="Training.StudentOptions"/>: loss, architecture, optimiser, schedule, validation, early stopping, progress.</summary>
    /// <param name="catalog">The multiclass trainers catalog (<c>mlContext.MulticlassClassification.Trainers</c>).</param>
    /// <param name="options">Trainer options.</param>
    public static StudentTrainer Student(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, Training.StudentOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new StudentTrainer(HostEnvironment.From(catalog), options);
    }

    /// <summary>
    /// Searches losses, temperatures, weights, transfer sets and epochs with successive halving on a validation split —
    /// always including training from scratch — and returns the winner refit on all rows (see <see cref="Search.AutoDistillTrainer"/>).
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog (<c>mlContext.MulticlassClassification.Trainers</c>).</param>
    /// <param name="options">Search space, budget and the fixed student settings.</param>
    public static Search.AutoDistillTrainer AutoDistill(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, Search.AutoDistillOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new Search.AutoDistillTrainer(HostEnvironment.From(catalog), options);
    }
}
