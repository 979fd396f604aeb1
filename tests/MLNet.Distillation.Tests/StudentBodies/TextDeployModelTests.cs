using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.StudentBodies;

/// <summary>
/// The text student committed under samples/Deploy/Models (fortunes-text-student.zip: text normalisation, words, the
/// MapValueToKey vocabulary and an embedding-bag student with bigrams, distilled from the naive-Bayes teacher column),
/// scored from raw text by tests/MLNet.Distillation.DeployTests, which references no TorchSharp, is the one this library
/// trains today. To remake it after a deliberate change, run these tests with MLNET_DISTILLATION_REGENERATE_DEPLOY_MODEL=1
/// and commit the two files.
/// </summary>
public class TextDeployModelTests
{
    private const string RegenerateVariable = "MLNET_DISTILLATION_REGENERATE_DEPLOY_MODEL";
    private const string ModelFile = "fortunes-text-student.zip";
    private const string ExpectedFile = "fortunes-text-student.expected.json";

    /// <summary>The text-to-prediction chain (the label step left out: a deployed app feeds the text only) and the test rows.</summary>
    private static (ITransformer Model, IDataView Test) Train(MLContext ml)
    {
        var model = FortunesData.Tokenise(ml).Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
        {
            Architecture = StudentArchitecture.EmbeddingBag(new EmbeddingBagStudentOptions { MaxTokens = 32, EmbeddingDimension = 8, BigramBuckets = 256 }),
            HiddenLayers = [], TeacherColumnName = "Teacher", Epochs = 30, MinimumSteps = 0, BatchSize = 32, LearningRate = 0.01, Seed = 11,
        })).Fit(FortunesData.Split(ml, "train"));
        // The fitted model is [the tokenising chain, the student]; keep the tokenising chain's steps after the label's.
        var tokenise = (IEnumerable<ITransformer>)model.First();
        return (new TransformerChain<ITransformer>(tokenise.Skip(1).Append(model.LastTransformer).ToArray()), FortunesData.Split(ml, "test"));
    }

    private static DataViewSchema TextOnly(MLContext ml, IDataView data) => ml.Transforms.SelectColumns("Text").Fit(data).Transform(data).Schema;

    [Fact]
    public void CommittedTextModelPredictsWhatAFreshlyTrainedStudentPredicts()
    {
        var ml = new MLContext(seed: 1);
        var (model, test) = Train(ml);
        if (Environment.GetEnvironmentVariable(RegenerateVariable) == "1") Write(ml, model, test, SourceModelsDirectory());

        var loaded = new MLContext().Model.Load(DeployModel(ModelFile), out var inputSchema);
        Assert.Equal(["Text"], inputSchema.Select(c => c.Name));
        var fresh = ReadVectors(model.Transform(test), "Score");
        var committed = ReadVectors(loaded.Transform(test), "Score");
        Assert.Equal(96, committed.Length);
        for (int r = 0; r < fresh.Length; r++)
            for (int k = 0; k < 3; k++)
                Assert.True(Math.Abs(fresh[r][k] - committed[r][k]) <= 1e-4, $"row {r} class {k}: fresh {fresh[r][k]}, committed {committed[r][k]}");
    }

    [Fact]
    public void RecordedPredictionsAreTheCommittedModelsOnTheTestTexts()
    {
        var ml = new MLContext();
        var loaded = ml.Model.Load(DeployModel(ModelFile), out _);
        using var json = JsonDocument.Parse(File.ReadAllText(DeployModel(ExpectedFile)));
        var rows = json.RootElement.GetProperty("rows").EnumerateArray().ToArray();
        var scored = loaded.Transform(ml.Data.LoadFromEnumerable(rows.Select(r => new TextRow { Text = r.GetProperty("text").GetString()! })));
        var scores = ReadVectors(scored, "Score");
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(rows[i].GetProperty("probabilities").EnumerateArray().Select(v => v.GetSingle()).ToArray(), scores[i]);
            Assert.Equal(rows[i].GetProperty("predictedLabel").GetString(), FortunesData.Classes[ArgMax(scores[i])]);
        }
        Assert.True(rows.Count(r => r.GetProperty("predictedLabel").GetString() == r.GetProperty("label").GetString()) > 0.6 * rows.Length);
    }

    private sealed class TextRow
    {
        public string Text { get; set; } = "";
    }

    private static string DeployModel(string name) => Path.Combine(AppContext.BaseDirectory, "DeployModels", name);

    private static string SourceModelsDirectory([CallerFilePath] string thisFile = "")
        => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", "..", "samples", "Deploy", "Models"));

    private static void Write(MLContext ml, ITransformer model, IDataView test, string directory)
    {
        Directory.CreateDirectory(directory);
        ml.Model.Save(model, TextOnly(ml, test), Path.Combine(directory, ModelFile));
        var rows = ml.Data.CreateEnumerable<FortunesData.Row>(test, reuseRowObject: false).ToArray();
        var scores = ReadVectors(model.Transform(test), "Score");
        var expected = new
        {
            note = "Fortunes test texts scored by fortunes-text-student.zip (an embedding-bag text student); made by tests/MLNet.Distillation.Tests/StudentBodies/TextDeployModelTests.cs.",
            classNames = FortunesData.Classes,
            rows = rows.Zip(scores).Select(p => new
            {
                text = p.First.Text,
                label = p.First.Label,
                predictedLabel = FortunesData.Classes[ArgMax(p.Second)],
                probabilities = p.Second,
            }),
        };
        File.WriteAllText(Path.Combine(directory, ExpectedFile), JsonSerializer.Serialize(expected, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Directory.CreateDirectory(Path.GetDirectoryName(DeployModel(ModelFile))!);
        File.Copy(Path.Combine(directory, ModelFile), DeployModel(ModelFile), overwrite: true);
        File.Copy(Path.Combine(directory, ExpectedFile), DeployModel(ExpectedFile), overwrite: true);
    }
}
