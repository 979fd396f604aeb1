using Microsoft.ML;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Training;

namespace MLNet.Distillation;

public static partial class DistillationCatalog
{
    /// <summary>
    /// Trains a small TorchSharp MLP student that maps the features to the teacher's embedding — a vector column for
    /// search, clustering or k-NN that is much cheaper to compute than the teacher's — and writes it to
    /// <paramref name="outputColumnName"/>. The default loss is the cosine distance to the teacher's embedding
    /// (<c>DistillationLoss.EmbeddingCosine()</c>). Evaluate it with <see cref="Evaluation.EmbeddingEvaluation.Evaluate"/>.
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="teacherColumnName">The teacher's embedding column, written by <c>Transforms.Distill</c> (map the embedding output with <c>DistillOptions.OutputColumns</c>).</param>
    /// <param name="outputColumnName">Column the student's embedding is written to (default "Embedding").</param>
    /// <param name="featureColumnName">Float vector feature column (default "Features").</param>
    /// <param name="hiddenLayers">Hidden widths (default [128]).</param>
    /// <param name="epochs">Passes over the data; null (default): 20, or more until the fit makes 6,000 steps.</param>
    /// <param name="learningRate">Peak learning rate (default 1e-3).</param>
    /// <param name="batchSize">Rows per step (default 128).</param>
    /// <param name="seed">Seed; null derives one from the MLContext seed.</param>
    public static StudentTrainer EmbeddingStudent(this TransformsCatalog catalog, string teacherColumnName, string outputColumnName = "Embedding",
        string featureColumnName = "Features", int[]? hiddenLayers = null, int? epochs = null, double learningRate = 1e-3, int batchSize = 128, int? seed = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(teacherColumnName);
        var options = PlainOptions(teacherColumnName, "Label", featureColumnName, hiddenLayers, epochs, learningRate, batchSize, seed);
        options.EmbeddingColumnName = outputColumnName;
        return catalog.EmbeddingStudent(options);
    }

    /// <summary>
    /// Trains an embedding student with every setting of <see cref="StudentOptions"/> (<see cref="StudentOptions.TeacherColumnName"/>:
    /// the teacher's embedding; <see cref="StudentOptions.EmbeddingColumnName"/>: the output; <see cref="StudentOptions.LabelColumnName"/>,
    /// when the column exists: class keys for supervised embedding losses; losses <c>EmbeddingCosine</c> (default),
    /// <c>EmbeddingContrastive</c>, <c>EmbeddingTriplet</c>).
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="options">Trainer options.</param>
    public static StudentTrainer EmbeddingStudent(this TransformsCatalog catalog, StudentOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new StudentTrainer(HostEnvironment.From(catalog), options, DistillationTask.Embedding);
    }
}
