using System.Text.Json;

namespace MLNet.Distillation.DeployTests;

/// <summary>The committed wine student and the predictions recorded for it when it was made (Models/wine-student.expected.json).</summary>
public static class WineStudent
{
    public static readonly string ModelPath = Path.Combine(AppContext.BaseDirectory, "Models", "wine-student.zip");

    public static readonly string[] ClassNames = ["class_0", "class_1", "class_2"];

    public sealed record Row(float[] Features, string Label, string PredictedLabel, float[] Probabilities);

    public static Row[] Rows()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Models", "wine-student.expected.json")));
        return json.RootElement.GetProperty("rows").EnumerateArray().Select(r => new Row(
            r.GetProperty("features").EnumerateArray().Select(v => v.GetSingle()).ToArray(),
            r.GetProperty("label").GetString()!,
            r.GetProperty("predictedLabel").GetString()!,
            r.GetProperty("probabilities").EnumerateArray().Select(v => v.GetSingle()).ToArray())).ToArray();
    }
}
