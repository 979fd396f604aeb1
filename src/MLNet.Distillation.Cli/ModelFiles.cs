using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNet.Distillation.Students;

namespace MLNet.Distillation.Cli;

/// <summary>What <c>train</c> and <c>auto</c> write: <c>student.zip</c>, <c>student.onnx</c> and <c>training.json</c>, each atomically.</summary>
public static class ModelFiles
{
    /// <summary>Writes the model files into <paramref name="folder"/>; returns the result object with their paths and the training history.</summary>
    public static JsonObject Save(MLContext ml, ITransformer model, DataViewSchema schema, StudentTransformer student, DirectoryInfo folder)
    {
        folder.Create();
        var zip = Path.Combine(folder.FullName, "student.zip");
        var onnx = Path.Combine(folder.FullName, "student.onnx");
        var json = Path.Combine(folder.FullName, "training.json");
        AtomicOutput.Write(zip, t => ml.Model.Save(model, schema, t));
        AtomicOutput.Write(onnx, student.ExportToOnnx);
        var result = new JsonObject
        {
            ["student"] = student.Network.ToString(),
            ["task"] = student.Task.ToString(),
            ["parameters"] = student.ParameterCount,
            ["loss"] = student.LossName,
            ["classes"] = new JsonArray([.. student.ClassNames.Select(c => (JsonNode)c)]),
            ["trainingSeconds"] = Math.Round(student.TrainingTime.TotalSeconds, 3),
            ["epochs"] = JsonSerializer.SerializeToNode(student.History.Select(e => new
            {
                e.Epoch, e.Loss, e.LossTerms, ValidationAccuracy = Finite(e.ValidationAccuracy), ValidationRmse = Finite(e.ValidationRmse),
                ValidationNdcg = Finite(e.ValidationNdcg), e.LearningRate,
            }), new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }),
        };
        AtomicOutput.WriteText(json, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        // The command's own result keeps the last epoch; training.json has every one.
        var epochs = result["epochs"]!.AsArray();
        result["epochsRun"] = epochs.Count;
        result["lastEpoch"] = epochs.Count == 0 ? null : epochs[^1]!.DeepClone();
        result.Remove("epochs");
        result["files"] = new JsonArray(zip, onnx, json);
        return result;
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
