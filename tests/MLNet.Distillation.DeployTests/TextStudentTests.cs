using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.DeployTests;

/// <summary>
/// A text student saved with its tokenisation (Models/fortunes-text-student.zip: NormalizeText, TokenizeIntoWords, the
/// MapValueToKey vocabulary and the embedding-bag student's scoring chain) scores raw text with ML.NET and ONNX Runtime
/// alone, as it did in the app that trained it (Models/fortunes-text-student.expected.json).
/// </summary>
public class TextStudentTests
{
    private static readonly string ModelPath = Path.Combine(AppContext.BaseDirectory, "Models", "fortunes-text-student.zip");

    private sealed class TextInput
    {
        public string Text { get; set; } = "";
    }

    private sealed class TextPrediction
    {
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }

    private sealed record Row(string Text, string PredictedLabel, float[] Probabilities);

    private static Row[] Rows()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Models", "fortunes-text-student.expected.json")));
        return json.RootElement.GetProperty("rows").EnumerateArray().Select(r => new Row(r.GetProperty("text").GetString()!,
            r.GetProperty("predictedLabel").GetString()!, r.GetProperty("probabilities").EnumerateArray().Select(v => v.GetSingle()).ToArray())).ToArray();
    }

    [Fact]
    public void RawTextScoresAsRecordedWithoutTheTrainingStack()
    {
        var ml = new MLContext();
        var model = ml.Model.Load(ModelPath, out var inputSchema);
        Assert.Equal(["Text"], inputSchema.Select(c => c.Name));
        using var engine = ml.Model.CreatePredictionEngine<TextInput, TextPrediction>(model);
        VBuffer<ReadOnlyMemory<char>> names = default;
        engine.OutputSchema["PredictedLabel"].GetKeyValues(ref names);
        var classes = names.DenseValues().Select(n => n.ToString()).ToArray();
        var rows = Rows();
        Assert.Equal(96, rows.Length);
        foreach (var row in rows)
        {
            var p = engine.Predict(new TextInput { Text = row.Text });
            Assert.Equal(row.Probabilities, p.Score);
            Assert.Equal(row.PredictedLabel, classes[p.PredictedLabel - 1]);
        }
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name ?? "").ToArray();
        Assert.DoesNotContain(loaded, n => n.Contains("torch", StringComparison.OrdinalIgnoreCase) || n == "MLNet.Distillation");
        (model as IDisposable)?.Dispose();
    }

    [Fact]
    public void WordsTheVocabularyNeverSawAndEmptyTextStillScore()
    {
        var ml = new MLContext();
        var model = ml.Model.Load(ModelPath, out _);
        using var engine = ml.Model.CreatePredictionEngine<TextInput, TextPrediction>(model);
        foreach (var text in new[] { "", "zyxxyqw qwzzk", "   " })
        {
            var p = engine.Predict(new TextInput { Text = text });
            Assert.Equal(3, p.Score.Length);
            Assert.All(p.Score, s => Assert.True(float.IsFinite(s) && s > 0));
            Assert.Equal(1, p.Score.Sum(), 4);
        }
        (model as IDisposable)?.Dispose();
    }
}
