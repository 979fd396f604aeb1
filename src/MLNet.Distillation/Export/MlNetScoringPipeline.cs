using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;

namespace MLNet.Distillation.Export;

/// <summary>
/// Turns a trained student into a chain of stock ML.NET transformers, so that <c>mlContext.Model.Save/Load</c> persist it
/// natively and a deployed app needs only ML.NET and ONNX Runtime — no TorchSharp, no libtorch, no registration call.
/// </summary>
/// <remarks>
/// ML.NET keeps the save/load machinery of custom transformers internal, and its <c>OnnxTransformer</c> turns every ONNX
/// output into a vector column (a rank-0 output fails when read) — so it cannot give the scalar key <c>PredictedLabel</c>
/// that evaluators and <c>PredictionEngine</c> expect. Only ML.NET's scorers make scalars out of vectors. The chain is:
/// <list type="number">
/// <item><c>ApplyOnnxModel</c>: the student graph gives its probabilities (with the class names as slot names) and the
/// index of its predicted class as a one-float vector, NaN for a row whose features are not finite
/// (<see cref="StudentOnnxExporter.ToScoringOnnx(StudentNetwork, string, IReadOnlyList{string}, string, string, OnnxInput?)"/>);</item>
/// <item>a stock linear regression with one weight, fitted on two points, reads that vector and writes its scalar
/// <c>Score</c>, <c>w·index + b</c>. Its K outputs for the K indices are computed once here, checked to be distinct, and become
/// the keys of the next step — so nothing depends on the regression being an identity, only on it being deterministic;</item>
/// <item><c>MapValue</c>, whose lookup maps each class's code to its key (with the label's key values), turns that code into
/// <c>PredictedLabel</c>, with the same key type and key values as <c>Label</c>; a NaN code becomes the missing key 0
/// (<see cref="LabelKeyValues.KeyTransformer"/>);</item>
/// <item><c>CopyColumns</c> puts the probabilities under <c>Score</c>; <c>DropColumns</c> removes the helper columns.</item>
/// </list>
/// Every step holds O(K) numbers and is fitted in O(K) time (the k-means scorer used before held K² and took 177 s to fit at
/// 1,000 classes).
/// </remarks>
internal static class MlNetScoringPipeline
{
    internal const string ProbabilitiesColumn = "__StudentProbabilities";
    internal const string ClassCodeColumn = "__StudentClassIndex";
    private const string DecodedColumn = "Score";

    /// <summary>Column of a binary, regression or ranking student's prediction, before it becomes the scalar (or vector) <c>Score</c>.</summary>
    internal const string ValueColumn = "__StudentValue";

    /// <summary>
    /// Builds the fitted scoring chain around the student's ONNX graph. The chain is saved to memory and loaded back, so
    /// that ML.NET owns the temporary copy of the graph its <c>OnnxTransformer</c> needs, and deletes it when the chain is
    /// disposed — by the caller, or at the latest when the process exits (<see cref="DisposeAtExit"/>). The columns it
    /// adds are those of ML.NET's own trainers of the task, so that the task's stock evaluator reads them:
    /// <list type="bullet">
    /// <item>multiclass: <c>Score</c> (probabilities, with the class names as slot names) and the key <c>PredictedLabel</c>;</item>
    /// <item>binary: <c>Score</c> (the logit), <c>Probability</c> (a fixed Platt calibrator with slope −1: the sigmoid) and the
    /// Boolean <c>PredictedLabel</c> (an <c>Expression</c>: the logit is positive);</item>
    /// <item>regression with one output and ranking: the scalar <c>Score</c>; regression with k outputs: <c>Score</c>, a vector of k.</item>
    /// </list>
    /// </summary>
    public static ITransformer Build(MLContext ml, StudentNetwork network, string featureColumn, IDataView schemaSource, LabelKeyValues? labels,
        string scoreColumn, string predictedLabelColumn)
    {
        var watch = Stopwatch.StartNew();
        int k = network.NumClasses;
        // A token-id student's graph reads the token column as it is (keys as their raw integers, any length); others read floats.
        var input = network.Body is ITokenIdBody ? TokenIdsOnnx.ColumnInput(featureColumn, schemaSource.Schema[featureColumn].Type) : null;
        byte[] onnx;
        Action<Action<Func<IDataView, ITransformer>>, string> parts;
        if (network.Task == DistillationTask.MulticlassClassification)
        {
            var keys = labels ?? throw new ArgumentNullException(nameof(labels), "A multiclass student's scoring chain needs the label's key values.");
            onnx = StudentOnnxExporter.ToScoringOnnx(network, featureColumn, keys.Names, ProbabilitiesColumn, ClassCodeColumn, input);
            var (decoder, codes) = FitIndexDecoder(ml, k);
            parts = (add, file) =>
            {
                add(data => ml.Transforms.ApplyOnnxModel([ProbabilitiesColumn, ClassCodeColumn], [featureColumn], file).Fit(data));
                add(_ => decoder);
                add(data => keys.KeyTransformer(ml, data, DecodedColumn, codes, predictedLabelColumn));
                add(data => ml.Transforms.CopyColumns(scoreColumn, ProbabilitiesColumn).Fit(data));
                add(data => Drop(ml, data, ProbabilitiesColumn, ClassCodeColumn));
            };
        }
        else if (k > 1)
        {
            onnx = StudentOnnxExporter.ToScoringOnnx(network, featureColumn, ValueColumn, 1, 0, input);
            parts = (add, file) =>
            {
                add(data => ml.Transforms.ApplyOnnxModel([ValueColumn], [featureColumn], file).Fit(data));
                add(data => ml.Transforms.CopyColumns(scoreColumn, ValueColumn).Fit(data));
                add(data => Drop(ml, data, ValueColumn));
            };
        }
        else
        {
            var (decoder, weight, bias) = FitDecoder(ml, ValueColumn);
            onnx = StudentOnnxExporter.ToScoringOnnx(network, featureColumn, ValueColumn, weight, bias, input);
            parts = (add, file) =>
            {
                add(data => ml.Transforms.ApplyOnnxModel([ValueColumn], [featureColumn], file).Fit(data));
                add(_ => decoder);
                if (scoreColumn != DecodedColumn) add(data => ml.Transforms.CopyColumns(scoreColumn, DecodedColumn).Fit(data));
                if (network.Task == DistillationTask.BinaryClassification)
                {
                    add(data => ml.BinaryClassification.Calibrators.Platt(slope: -1, offset: 0, scoreColumnName: scoreColumn).Fit(data));
                    add(data => ml.Transforms.Expression(predictedLabelColumn, "logit => logit > 0", scoreColumn).Fit(data));
                }
                add(data => Drop(ml, data, ValueColumn));
            };
        }

        var onnxFile = Path.Combine(ml.TempFilePath, $"mlnet-distillation-student-{Guid.NewGuid():N}.onnx");
        using var saved = new MemoryStream();
        var fitted = new List<ITransformer>();
        try
        {
            File.WriteAllBytes(onnxFile, onnx);
            IDataView data = schemaSource;
            parts(fit => { var t = fit(data); fitted.Add(t); data = t.Transform(data); }, onnxFile);
            ml.Model.Save(new TransformerChain<ITransformer>(fitted.ToArray()), schemaSource.Schema, saved);
        }
        finally
        {
            foreach (var part in fitted) (part as IDisposable)?.Dispose();
            File.Delete(onnxFile);
        }
        saved.Position = 0;
        var loaded = ml.Model.Load(saved, out _);
        DisposeAtExit.RegisterParts(loaded);
        ml.Info("Student", $"Built the ML.NET scoring chain for {(network.Task == DistillationTask.MulticlassClassification ? $"{k} classes" : $"a {network.Task} student with {k} output(s)")} ({saved.Length / 1024.0:N0} KiB saved, student graph {onnx.Length / 1024.0:N0} KiB) in {watch.Elapsed.TotalMilliseconds:N0} ms.");
        return loaded;
    }

    private static ITransformer Drop(MLContext ml, IDataView data, params string[] columns)
        => ml.Transforms.DropColumns(columns.Where(c => data.Schema.GetColumnOrNull(c) is not null).ToArray()).Fit(data);

    private sealed class IndexRow
    {
        public float[] Index = [];
        public float Target;
    }

    private sealed class Decoded
    {
        public float Score { get; set; }
    }

    private static SchemaDefinition IndexSchema(string column)
    {
        var schema = SchemaDefinition.Create(typeof(IndexRow));
        schema[nameof(IndexRow.Index)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 1);
        schema[nameof(IndexRow.Index)].ColumnName = column;
        return schema;
    }

    /// <summary>
    /// Fits the stock one-weight linear regression that reads a one-value vector column <paramref name="column"/> and
    /// writes the scalar <c>Score</c> = <c>w·x + b</c>; returns it with its weight and bias (checked finite, w ≠ 0).
    /// </summary>
    private static (RegressionPredictionTransformer<LinearRegressionModelParameters> Decoder, float Weight, float Bias) FitDecoder(MLContext ml, string column)
    {
        var points = ml.Data.LoadFromEnumerable(new[] { new IndexRow { Index = [0f], Target = 0f }, new IndexRow { Index = [1f], Target = 1f } }, IndexSchema(column));
        var decoder = ml.Regression.Trainers.OnlineGradientDescent(new OnlineGradientDescentTrainer.Options
        {
            FeatureColumnName = column,
            LabelColumnName = nameof(IndexRow.Target),
            NumberOfIterations = 1,
            Shuffle = false,
        }).Fit(points);
        float w = decoder.Model.Weights[0], b = decoder.Model.Bias;
        if (!float.IsFinite(w) || w == 0 || !float.IsFinite(b))
            throw new InvalidOperationException($"Could not build the ML.NET scoring chain: the one-weight linear model that makes the scalar Score has weight {w} and bias {b}.");
        return (decoder, w, b);
    }

    /// <summary>
    /// Fits the one-weight regression that reads the class index vector, and returns it with the code it gives each class
    /// index 0..K−1 (checked distinct).
    /// </summary>
    private static (ITransformer Decoder, float[] Codes) FitIndexDecoder(MLContext ml, int k)
    {
        var schema = IndexSchema(ClassCodeColumn);
        var (decoder, _, _) = FitDecoder(ml, ClassCodeColumn);

        var indices = ml.Data.LoadFromEnumerable(Enumerable.Range(0, k).Select(i => new IndexRow { Index = [i] }), schema);
        var codes = ml.Data.CreateEnumerable<Decoded>(decoder.Transform(indices), reuseRowObject: false).Select(d => d.Score).ToArray();
        if (codes.Length != k || codes.Any(float.IsNaN) || codes.Distinct().Count() != k)
            throw new InvalidOperationException($"Could not build the ML.NET scoring chain for {k} classes: the class-index decoder " +
                $"(weight {decoder.Model.Weights[0]}, bias {decoder.Model.Bias}) does not give every class a distinct code.");
        return (decoder, codes);
    }
}
