using Microsoft.ML;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Training;

namespace MLNet.Distillation;

public static partial class DistillationCatalog
{
    /// <summary>
    /// Trains a small TorchSharp MLP student for binary classification — one logit; <c>Score</c>, <c>Probability</c> and
    /// the Boolean <c>PredictedLabel</c>, as <c>mlContext.BinaryClassification.Evaluate</c> reads them — distilled from a
    /// teacher column when <paramref name="teacherColumnName"/> is set, or from the labels alone when it is null.
    /// </summary>
    /// <param name="catalog">The binary classification trainers catalog (<c>mlContext.BinaryClassification.Trainers</c>).</param>
    /// <param name="teacherColumnName">Column written by <c>Transforms.Distill</c> (one logit or probability per row, or two), or null to train from scratch.</param>
    /// <param name="labelColumnName">Boolean label column, or Single holding 0/1 with NaN for rows without a label (default "Label").</param>
    /// <param name="featureColumnName">Float vector feature column (default "Features").</param>
    /// <param name="hiddenLayers">Hidden widths (default [128]).</param>
    /// <param name="epochs">Passes over the data; null (default): 20, or more until the fit makes 6,000 steps.</param>
    /// <param name="learningRate">Peak learning rate (default 1e-3).</param>
    /// <param name="batchSize">Rows per step (default 128).</param>
    /// <param name="seed">Seed; null derives one from the MLContext seed.</param>
    public static StudentTrainer Student(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string? teacherColumnName = null, string labelColumnName = "Label", string featureColumnName = "Features",
        int[]? hiddenLayers = null, int? epochs = null, double learningRate = 1e-3, int batchSize = 128, int? seed = null)
        => catalog.Student(PlainOptions(teacherColumnName, labelColumnName, featureColumnName, hiddenLayers, epochs, learningRate, batchSize, seed));

    /// <summary>Trains a binary student with every setting of <see cref="StudentOptions"/> (loss: <c>DistillationLoss.BinaryKd</c>, default <c>BinaryKd(1, 0)</c>).</summary>
    /// <param name="catalog">The binary classification trainers catalog (<c>mlContext.BinaryClassification.Trainers</c>).</param>
    /// <param name="options">Trainer options.</param>
    public static StudentTrainer Student(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, StudentOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new StudentTrainer(HostEnvironment.From(catalog), options, DistillationTask.BinaryClassification);
    }

    /// <summary>
    /// Trains a small TorchSharp MLP student for regression — <c>Score</c>, as <c>mlContext.Regression.Evaluate</c> reads it;
    /// with a vector label, one output per slot and <c>Score</c> a vector (evaluate with <see cref="EvaluateMultiOutput"/>) —
    /// distilled from a teacher column when <paramref name="teacherColumnName"/> is set, or from the labels alone when it is null.
    /// </summary>
    /// <param name="catalog">The regression trainers catalog (<c>mlContext.Regression.Trainers</c>).</param>
    /// <param name="teacherColumnName">Column written by <c>Transforms.Distill</c> (one value per output), or null to train from scratch.</param>
    /// <param name="labelColumnName">Single label column, or a vector of Single for several outputs; NaN marks a row without a label (default "Label").</param>
    /// <param name="featureColumnName">Float vector feature column (default "Features").</param>
    /// <param name="hiddenLayers">Hidden widths (default [128]).</param>
    /// <param name="epochs">Passes over the data; null (default): 20, or more until the fit makes 6,000 steps.</param>
    /// <param name="learningRate">Peak learning rate (default 1e-3).</param>
    /// <param name="batchSize">Rows per step (default 128).</param>
    /// <param name="seed">Seed; null derives one from the MLContext seed.</param>
    public static StudentTrainer Student(this RegressionCatalog.RegressionTrainers catalog,
        string? teacherColumnName = null, string labelColumnName = "Label", string featureColumnName = "Features",
        int[]? hiddenLayers = null, int? epochs = null, double learningRate = 1e-3, int batchSize = 128, int? seed = null)
        => catalog.Student(PlainOptions(teacherColumnName, labelColumnName, featureColumnName, hiddenLayers, epochs, learningRate, batchSize, seed));

    /// <summary>
    /// Trains a regression student with every setting of <see cref="StudentOptions"/> (losses: <c>RegressionKd</c> — the
    /// default, <c>RegressionKd(0)</c> —, <c>TeacherBounded</c>, <c>TolerantTough</c> with two teachers, <c>BernoulliKl</c>).
    /// </summary>
    /// <param name="catalog">The regression trainers catalog (<c>mlContext.Regression.Trainers</c>).</param>
    /// <param name="options">Trainer options.</param>
    public static StudentTrainer Student(this RegressionCatalog.RegressionTrainers catalog, StudentOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new StudentTrainer(HostEnvironment.From(catalog), options, DistillationTask.Regression);
    }

    /// <summary>
    /// Trains a small TorchSharp MLP student that scores (query, document) rows — <c>Score</c>, as
    /// <c>mlContext.Ranking.Evaluate</c> reads it — comparing the rows of a query (<paramref name="rowGroupColumnName"/>),
    /// distilled from a teacher column when <paramref name="teacherColumnName"/> is set, or from the labels alone when it is null.
    /// </summary>
    /// <param name="catalog">The ranking trainers catalog (<c>mlContext.Ranking.Trainers</c>).</param>
    /// <param name="teacherColumnName">Column written by <c>Transforms.Distill</c> (the teacher's score of each row), or null to train from scratch.</param>
    /// <param name="labelColumnName">Relevance grade: Single (NaN: no label) or a key (default "Label").</param>
    /// <param name="featureColumnName">Float vector feature column of a (query, document) row (default "Features").</param>
    /// <param name="rowGroupColumnName">Key or integer column naming each row's query (default "GroupId").</param>
    /// <param name="hiddenLayers">Hidden widths (default [128]).</param>
    /// <param name="epochs">Passes over the data; null (default): 20, or more until the fit makes 6,000 steps.</param>
    /// <param name="learningRate">Peak learning rate (default 1e-3).</param>
    /// <param name="batchSize">Rows per step, in whole groups (default 128).</param>
    /// <param name="seed">Seed; null derives one from the MLContext seed.</param>
    public static StudentTrainer Student(this RankingCatalog.RankingTrainers catalog,
        string? teacherColumnName = null, string labelColumnName = "Label", string featureColumnName = "Features", string rowGroupColumnName = "GroupId",
        int[]? hiddenLayers = null, int? epochs = null, double learningRate = 1e-3, int batchSize = 128, int? seed = null)
    {
        var options = PlainOptions(teacherColumnName, labelColumnName, featureColumnName, hiddenLayers, epochs, learningRate, batchSize, seed);
        options.RowGroupColumnName = rowGroupColumnName;
        return catalog.Student(options);
    }

    /// <summary>
    /// Trains a ranking student with every setting of <see cref="StudentOptions"/> (losses: <c>RankingKd</c> — the default,
    /// <c>RankingKd(1, 0)</c> —, <c>ListNet</c>, <c>ListwiseKl</c>, <c>MarginMse</c>, <c>RankNet</c>).
    /// </summary>
    /// <param name="catalog">The ranking trainers catalog (<c>mlContext.Ranking.Trainers</c>).</param>
    /// <param name="options">Trainer options.</param>
    public static StudentTrainer Student(this RankingCatalog.RankingTrainers catalog, StudentOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new StudentTrainer(HostEnvironment.From(catalog), options, DistillationTask.Ranking);
    }

    /// <summary>
    /// Searches a binary student's losses (<see cref="Search.AutoDistillCandidate.DefaultSpace(DistillationTask)"/>: BinaryKd at
    /// several temperatures and weights, learning rates, schedules) with successive halving on validation rows — always
    /// including training from the labels alone — and returns the winner refit on all rows.
    /// </summary>
    /// <param name="catalog">The binary classification trainers catalog (<c>mlContext.BinaryClassification.Trainers</c>).</param>
    /// <param name="options">Search space, budget and the fixed student settings.</param>
    public static Search.AutoDistillTrainer AutoDistill(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, Search.AutoDistillOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new Search.AutoDistillTrainer(HostEnvironment.From(catalog), options, DistillationTask.BinaryClassification);
    }

    /// <summary>
    /// Searches a regression student's losses (RegressionKd with MSE and Huber, TeacherBounded, learning rates, schedules)
    /// on validation rows by RMSE — always including training from the labels alone — and returns the winner refit on all rows.
    /// A challenger replaces the default only when its squared errors are lower beyond two standard errors of the paired differences.
    /// </summary>
    /// <param name="catalog">The regression trainers catalog (<c>mlContext.Regression.Trainers</c>).</param>
    /// <param name="options">Search space, budget and the fixed student settings.</param>
    public static Search.AutoDistillTrainer AutoDistill(this RegressionCatalog.RegressionTrainers catalog, Search.AutoDistillOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new Search.AutoDistillTrainer(HostEnvironment.From(catalog), options, DistillationTask.Regression);
    }

    /// <summary>
    /// Searches a ranking student's losses (RankingKd, ListNet with MarginMse or RankNet, learning rates, schedules) on
    /// validation groups by NDCG@10 — always including training from the labels alone — and returns the winner refit on all
    /// rows. A challenger replaces the default only when it is better beyond two standard errors of the per-group differences.
    /// </summary>
    /// <param name="catalog">The ranking trainers catalog (<c>mlContext.Ranking.Trainers</c>).</param>
    /// <param name="options">Search space, budget and the fixed student settings (StudentOptions.RowGroupColumnName names the groups).</param>
    public static Search.AutoDistillTrainer AutoDistill(this RankingCatalog.RankingTrainers catalog, Search.AutoDistillOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new Search.AutoDistillTrainer(HostEnvironment.From(catalog), options, DistillationTask.Ranking);
    }
}
