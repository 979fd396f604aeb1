using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Cli;

/// <summary>The student's numbers on a test file, by task, from ML.NET's evaluators.</summary>
public static class TestMetrics
{
    /// <summary>Evaluates <paramref name="scored"/> (the model's output on the test rows); the names are ML.NET's.</summary>
    public static JsonObject Evaluate(MLContext ml, StudentTask task, IDataView scored)
    {
        switch (task)
        {
            case StudentTask.Multiclass:
                var m = ml.MulticlassClassification.Evaluate(scored);
                return new() { ["accuracy"] = m.MicroAccuracy, ["macroAccuracy"] = m.MacroAccuracy, ["logLoss"] = m.LogLoss };
            case StudentTask.Binary:
                var binary = scored;
                string label = "Label";
                if (scored.Schema["Label"].Type != BooleanDataViewType.Instance)
                {
                    // A 0/1 label: rows without one (NaN) are left out, the rest become true/false for the evaluator.
                    var labelled = ml.Data.FilterRowsByMissingValues(scored, "Label");
                    binary = ml.Transforms.CustomMapping<BinaryLabel, BinaryTruth>((i, o) => o.Truth = i.Label > 0.5f, null).Fit(labelled).Transform(labelled);
                    label = "Truth";
                }
                var b = ml.BinaryClassification.Evaluate(binary, labelColumnName: label);
                return new() { ["accuracy"] = b.Accuracy, ["areaUnderRocCurve"] = b.AreaUnderRocCurve, ["f1Score"] = b.F1Score, ["logLoss"] = b.LogLoss };
            case StudentTask.Regression:
                if (scored.Schema["Label"].Type is VectorDataViewType)
                {
                    var outputs = ml.Regression.EvaluateMultiOutput(scored);
                    return new() { ["rootMeanSquaredError"] = new JsonArray([.. outputs.Select(o => (JsonNode)o.RootMeanSquaredError)]) };
                }
                var r = ml.Regression.Evaluate(scored);
                return new() { ["rootMeanSquaredError"] = r.RootMeanSquaredError, ["meanAbsoluteError"] = r.MeanAbsoluteError, ["rSquared"] = r.RSquared };
            default:
                var keyed = ml.Transforms.Conversion.MapValueToKey("GroupKey", "GroupId").Fit(scored).Transform(scored);
                var k = ml.Ranking.Evaluate(keyed, rowGroupColumnName: "GroupKey");
                return new() { ["ndcgAt10"] = k.NormalizedDiscountedCumulativeGains.Count >= 10 ? k.NormalizedDiscountedCumulativeGains[9] : k.NormalizedDiscountedCumulativeGains[^1] };
        }
    }

    /// <summary>The 0/1 label read by the mapping.</summary>
    public sealed class BinaryLabel
    {
        /// <summary>0 or 1.</summary>
        public float Label { get; set; }
    }

    /// <summary>The label as true/false.</summary>
    public sealed class BinaryTruth
    {
        /// <summary>Label &gt; 0.5.</summary>
        public bool Truth { get; set; }
    }
}
