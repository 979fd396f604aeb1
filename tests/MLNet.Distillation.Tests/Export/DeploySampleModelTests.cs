using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Export;

/// <summary>
/// The wine student committed under samples/Deploy/Models (scored by samples/Deploy and tests/MLNet.Distillation.DeployTests,
/// which reference no TorchSharp) is the one this library trains today. To remake it after a deliberate change to training
/// or to the scoring chain, run these tests with MLNET_DISTILLATION_REGENERATE_DEPLOY_MODEL=1 and commit the two files.
/// </summary>
public class DeploySampleModelTests
{
    private const string RegenerateVariable = "MLNET_DISTILLATION_REGENERATE_DEPLOY_MODEL";
    private const string ModelFile = "wine-student.zip";
    private const string ExpectedFile = "wine-student.expected.json";

    /// <summary>The full pipeline (label → key, teacher, student), as an app would save it; the teacher step is saved as an identity.</summary>
    private static (ITransformer Model, IDataView Train, IDataView Test) Train(MLContext ml)
    {
        var train = WineSplit(ml, "train");
        var model = WineLabelToKey(ml)
            .Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
            {
                TeacherColumnName = "TeacherLogits", HiddenLayers = [16], Epochs = 30, BatchSize = 32, LearningRate = 0.01, Seed = 11,
            }))
            .Fit(train);
        return (model, train, WineSplit(ml, "test"));
    }

    [Fact]
    public void CommittedDeployModelPredictsWhatAFreshlyTrainedStudentPredicts()
    {
        var ml = new MLContext(seed: 1);
        var (model, train, test) = Train(ml);
        if (Environment.GetEnvironmentVariable(RegenerateVariable) == "1") Write(ml, model, train, test, SourceModelsDirectory());

        var loaded = new MLContext().Model.Load(DeployModel(ModelFile), out _);
        var fresh = ReadVectors(model.Transform(test), "Score");
        var committed = ReadVectors(loaded.Transform(test), "Score");
        Assert.Equal(54, committed.Length);
        for (int r = 0; r < fresh.Length; r++)
        {
            for (int k = 0; k < 3; k++) Assert.True(Math.Abs(fresh[r][k] - committed[r][k]) <= 1e-4, $"row {r} class {k}: fresh {fresh[r][k]}, committed {committed[r][k]}");
            var sorted = fresh[r].OrderDescending().ToArray();
            if (sorted[0] - sorted[1] > 1e-4) Assert.Equal(ArgMax(fresh[r]), ArgMax(committed[r]));
        }
    }

    [Fact]
    public void RecordedPredictionsAreTheCommittedModelsOnTheWineTestRows()
    {
        var ml = new MLContext();
        var loaded = ml.Model.Load(DeployModel(ModelFile), out _);
        using var json = JsonDocument.Parse(File.ReadAllText(DeployModel(ExpectedFile)));
        Assert.Equal(WineClasses, json.RootElement.GetProperty("classNames").EnumerateArray().Select(e => e.GetString()));
        var rows = json.RootElement.GetProperty("rows").EnumerateArray().ToArray();
        var input = ml.Data.LoadFromEnumerable(rows.Select(r => new WineRow
        {
            Features = r.GetProperty("features").EnumerateArray().Select(v => v.GetSingle()).ToArray(), Label = r.GetProperty("label").GetString()!,
        }));
        var scores = ReadVectors(loaded.Transform(input), "Score");
        for (int i = 0; i < rows.Length; i++)
        {
            var recorded = rows[i].GetProperty("probabilities").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.Equal(recorded, scores[i]);
            Assert.Equal(rows[i].GetProperty("predictedLabel").GetString(), WineClasses[ArgMax(scores[i])]);
        }
    }

    private sealed class FeaturesOnly
    {
        [VectorType(13)] public float[] Features { get; set; } = [];
    }

    [Fact]
    public void TheStudentSavedAloneTakesFeaturesOnlyAndScoresLikeThePipeline()
    {
        // docs/deploy.md: save model.LastTransformer with a features-only schema for a model that needs no Label column.
        var ml = new MLContext(seed: 1);
        var (model, train, test) = Train(ml);
        var path = Path.Combine(TempDir(), "student-only.zip");
        var featuresOnly = ml.Transforms.SelectColumns("Features").Fit(train).Transform(train).Schema;
        ml.Model.Save(((IEnumerable<ITransformer>)model).Last(), featuresOnly, path);

        var fresh = new MLContext();
        var loaded = fresh.Model.Load(path, out var inputSchema);
        Assert.Equal(["Features"], inputSchema.Select(c => c.Name));
        var rows = fresh.Data.CreateEnumerable<WineRow>(test, reuseRowObject: false).Select(r => new FeaturesOnly { Features = r.Features });
        var scores = ReadVectors(loaded.Transform(fresh.Data.LoadFromEnumerable(rows)), "Score");
        Assert.Equal(ReadVectors(model.Transform(test), "Score"), scores);
    }

    private static string DeployModel(string name) => Path.Combine(AppContext.BaseDirectory, "DeployModels", name);

    private static string SourceModelsDirectory([CallerFilePath] string thisFile = "")
        => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", "..", "samples", "Deploy", "Models"));

    private static void Write(MLContext ml, ITransformer model, IDataView train, IDataView test, string directory)
    {
        Directory.CreateDirectory(directory);
        ml.Model.Save(model, train.Schema, Path.Combine(directory, ModelFile));
        var rows = ml.Data.CreateEnumerable<WineRow>(test, reuseRowObject: false).ToArray();
        var scores = ReadVectors(model.Transform(test), "Score");
        var expected = new
        {
            note = "Wine test split scored by wine-student.zip; made by tests/MLNet.Distillation.Tests/Export/DeploySampleModelTests.cs.",
            classNames = WineClasses,
            rows = rows.Zip(scores).Select(p => new
            {
                features = p.First.Features,
                label = p.First.Label,
                predictedLabel = WineClasses[ArgMax(p.Second)],
                probabilities = p.Second,
            }),
        };
        File.WriteAllText(Path.Combine(directory, ExpectedFile), JsonSerializer.Serialize(expected, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Directory.CreateDirectory(Path.GetDirectoryName(DeployModel(ModelFile))!);
        File.Copy(Path.Combine(directory, ModelFile), DeployModel(ModelFile), overwrite: true);
        File.Copy(Path.Combine(directory, ExpectedFile), DeployModel(ExpectedFile), overwrite: true);
    }
}
