using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using MLNet.Distillation.Students;

namespace MLNet.Distillation.Export;

/// <summary>
/// Turns a trained student into a chain of stock ML.NET transformers, so that <c>mlContext.Model.Save/Load</c> persist it
/// natively and a deployed app needs only ML.NET and ONNX Runtime — no TorchSharp, no libtorch, no registration call.
/// </summary>
/// <remarks>
/// ML.NET keeps the save/load machinery of custom transformers internal, and its <c>OnnxTransformer</c> turns every ONNX
/// output into a vector column — so it cannot give the scalar key <c>PredictedLabel</c> that evaluators and
/// <c>PredictionEngine</c> expect. The chain therefore is:
/// <list type="number">
/// <item><c>ApplyOnnxModel</c>: the student graph gives its probabilities and a one-hot vector of its predicted class;</item>
/// <item>a k-means scorer whose centroids are exactly the K one-hot vectors (fitted on those K points, which k-means++
/// must choose as centroids) turns the one-hot vector into a scalar key — distance 0 to one centroid and √2 to all others,
/// so the assignment is exact; the graph permutes its one-hot rows so that cluster ids equal class ids;</item>
/// <item><c>CopyColumns</c> puts the probabilities under <c>Score</c>; <c>ConvertType</c>, <c>MapValue</c> and
/// <c>MapValueToKey</c> (with the label's key values as key data) give <c>PredictedLabel</c> the same key type and key
/// values as <c>Label</c>; <c>DropColumns</c> removes the helper columns.</item>
/// </list>
/// </remarks>
internal static class MlNetScoringPipeline
{
    internal const string ProbabilitiesColumn = "__StudentProbabilities";
    internal const string OneHotColumn = "__StudentOneHot";
    private const string ClassIdColumn = "__StudentClassId";
    private const string LabelValueColumn = "__StudentLabelValue";

    /// <summary>Builds the fitted scoring chain around the student's ONNX graph.</summary>
    public static TransformerChain<ITransformer> Build(MLContext ml, StudentNetwork network, string featureColumn,
        IDataView schemaSource, LabelKeyValues labels, string scoreColumn, string predictedLabelColumn, int seed)
    {
        int k = network.NumClasses;
        var kmeans = FitOneHotClusters(ml, k, seed, out var permutation);
        var onnx = StudentOnnxExporter.Build(network, featureColumn, labels.Names, permutation, ProbabilitiesColumn, OneHotColumn);

        var parts = new List<ITransformer>();
        IDataView data = schemaSource;
        ITransformer Add(ITransformer t) { parts.Add(t); data = t.Transform(data); return t; }

        Add(ml.Transforms.ApplyOnnxModel([ProbabilitiesColumn, OneHotColumn], [featureColumn], new MemoryStream(onnx)).Fit(data));
        Add(kmeans);
        Add(ml.Transforms.CopyColumns(scoreColumn, ProbabilitiesColumn).Fit(data));
        Add(ml.Transforms.Conversion.ConvertType(ClassIdColumn, "PredictedLabel", DataKind.UInt32).Fit(data));
        foreach (var t in labels.KeyTransformers(ml, data, ClassIdColumn, LabelValueColumn, predictedLabelColumn)) Add(t);
        var drop = new List<string> { ProbabilitiesColumn, OneHotColumn, ClassIdColumn, LabelValueColumn };
        if (predictedLabelColumn != "PredictedLabel") drop.Add("PredictedLabel");
        Add(ml.Transforms.DropColumns(drop.Where(c => data.Schema.GetColumnOrNull(c) is not null).ToArray()).Fit(data));
        return new TransformerChain<ITransformer>(parts.ToArray());
    }

    private sealed class OneHotRow
    {
        public float[] OneHot = [];
    }

    private sealed class Cluster
    {
        public uint PredictedLabel { get; set; }
    }

    private static ITransformer FitOneHotClusters(MLContext ml, int k, int seed, out int[] permutation)
    {
        var rows = Enumerable.Range(0, k).Select(c => { var v = new float[k]; v[c] = 1; return new OneHotRow { OneHot = v }; }).ToArray();
        var schema = SchemaDefinition.Create(typeof(OneHotRow));
        schema[nameof(OneHotRow.OneHot)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, k);
        schema[nameof(OneHotRow.OneHot)].ColumnName = OneHotColumn;
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        for (int attempt = 0; attempt < 5; attempt++)
        {
            var context = new MLContext(seed + attempt);
            var model = context.Clustering.Trainers.KMeans(new KMeansTrainer.Options
            {
                FeatureColumnName = OneHotColumn,
                NumberOfClusters = k,
                NumberOfThreads = 1,
                InitializationAlgorithm = KMeansTrainer.InitializationAlgorithm.KMeansPlusPlus,
            }).Fit(data);
            var clusters = context.Data.CreateEnumerable<Cluster>(model.Transform(data), reuseRowObject: false).Select(c => (int)c.PredictedLabel - 1).ToArray();
            if (clusters.Distinct().Count() != k || clusters.Any(c => c < 0 || c >= k)) continue;
            // one-hot e_j lands in cluster clusters[j]; class c must land in cluster c, so class c emits e_j with clusters[j] == c.
            permutation = new int[k];
            for (int j = 0; j < k; j++) permutation[clusters[j]] = j;
            return model;
        }
        throw new InvalidOperationException($"Could not build the ML.NET scoring chain for {k} classes (k-means did not separate the one-hot vectors).");
    }
}
