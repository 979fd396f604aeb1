using System.Globalization;
using System.Security.Cryptography;
using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Training;

/// <summary>
/// What makes two fits the same fit, for a checkpoint: the data's shape and content summary (rows, widths, the training
/// features' per-column mean and standard deviation), the loss, the seed and every option that changes the steps. A
/// checkpoint resumes only a fit with an equal fingerprint; <see cref="Differences"/> names what differs.
/// </summary>
internal sealed class CheckpointFingerprint
{
    private CheckpointFingerprint(IReadOnlyList<KeyValuePair<string, string>> items) => Items = items;

    /// <summary>Named values, in a fixed order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Items { get; }

    /// <summary>
    /// The fingerprint of a fit over <paramref name="rows"/> rows shaped as <paramref name="train"/>, whose features have
    /// per-column <paramref name="mean"/> and <paramref name="std"/>, making <paramref name="steps"/> steps in all.
    /// </summary>
    public static CheckpointFingerprint Of(StudentOptions o, DistillationLoss loss, TrainingSet train, long rows, TrainingSet? validation, int seed,
        int epochs, long steps, float[] mean, float[] std)
    {
        var inv = CultureInfo.InvariantCulture;
        string D(double v) => v.ToString("R", inv);
        return new([
            new("task", train.Task.ToString()),
            new("training rows", rows.ToString(inv)),
            new("validation rows", (validation?.Rows ?? 0).ToString(inv)),
            new("feature width", train.FeatureCount.ToString(inv)),
            new("outputs", train.ClassCount.ToString(inv)),
            new("teacher", train.HasTeacher ? train.TeacherKind.ToString() : "none"),
            new("training features (per-column mean and standard deviation)", Hash(mean, std)),
            new("loss", loss.Name),
            new("seed", seed.ToString(inv)),
            new("epochs", epochs.ToString(inv)),
            new("steps", steps.ToString(inv)),
            new("StudentOptions.Architecture", o.Architecture?.Describe() ?? "none"),
            new("StudentOptions.HiddenLayers", "[" + string.Join(", ", o.HiddenLayers) + "]"),
            new("StudentOptions.Activation", o.Activation.ToString()),
            new("StudentOptions.Dropout", D(o.Dropout)),
            new("StudentOptions.StandardizeFeatures", o.StandardizeFeatures.ToString()),
            new("StudentOptions.Optimizer", o.Optimizer.ToString()),
            new("StudentOptions.LearningRate", D(o.LearningRate)),
            new("StudentOptions.WeightDecay", D(o.WeightDecay)),
            new("StudentOptions.Schedule", o.Schedule.ToString()),
            new("StudentOptions.WarmupEpochs", o.WarmupEpochs.ToString(inv)),
            new("StudentOptions.BatchSize", o.BatchSize.ToString(inv)),
            new("StudentOptions.EarlyStoppingPatience", o.EarlyStoppingPatience?.ToString(inv) ?? "none"),
            new("StudentOptions.EarlyStoppingMetric", o.EarlyStoppingMetric.ToString()),
            new("StudentOptions.TeacherHackingWindow", o.TeacherHackingWindow.ToString(inv)),
            new("StudentOptions.StopOnTeacherHacking", o.StopOnTeacherHacking.ToString()),
            new("StudentOptions.TeacherWeights", o.TeacherWeights is null ? "equal" : string.Join(", ", o.TeacherWeights.Select(D))),
            new("StudentOptions.Streaming", o.Streaming is { } so ? $"shuffle buffer {so.ShuffleBufferRows} rows, shuffle source {so.ShuffleSource}, max steps {so.MaxSteps?.ToString(inv) ?? "none"}" : "none"),
            new("StudentOptions.DataStrategy", o.DataStrategy?.Name ?? "none"),
            new("StudentOptions.SelfDistillation", o.SelfDistillation?.Describe() ?? "none"),
        ]);
    }

    /// <summary>Each differing value as "name: X in the checkpoint, Y in this fit", joined; null when equal.</summary>
    public string? Differences(CheckpointFingerprint current)
    {
        var saved = Items.ToDictionary(kv => kv.Key, kv => kv.Value);
        var differences = new List<string>();
        foreach (var (name, value) in current.Items)
        {
            if (!saved.TryGetValue(name, out var was)) differences.Add($"{name}: not in the checkpoint, {value} in this fit");
            else if (was != value) differences.Add($"{name}: {was} in the checkpoint, {value} in this fit");
        }
        foreach (var (name, value) in Items)
            if (current.Items.All(kv => kv.Key != name)) differences.Add($"{name}: {value} in the checkpoint, not in this fit");
        return differences.Count == 0 ? null : string.Join("; ", differences);
    }

    /// <summary>The value named <paramref name="name"/>, or null.</summary>
    public string? this[string name] => Items.FirstOrDefault(kv => kv.Key == name).Value;

    public void Write(BinaryWriter w)
    {
        w.Write(Items.Count);
        foreach (var (name, value) in Items)
        {
            w.Write(name);
            w.Write(value);
        }
    }

    public static CheckpointFingerprint Read(BinaryReader r)
    {
        int n = r.ReadInt32();
        var items = new List<KeyValuePair<string, string>>(n);
        for (int i = 0; i < n; i++) items.Add(new(r.ReadString(), r.ReadString()));
        return new(items);
    }

    private static string Hash(float[] mean, float[] std)
    {
        var bytes = new byte[(mean.Length + std.Length) * sizeof(float)];
        Buffer.BlockCopy(mean, 0, bytes, 0, mean.Length * sizeof(float));
        Buffer.BlockCopy(std, 0, bytes, mean.Length * sizeof(float), std.Length * sizeof(float));
        return "sha256:" + Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant();
    }
}
