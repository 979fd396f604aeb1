using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Cli.Tests;

/// <summary>mlnet-distill train: parse, run, then the files it wrote.</summary>
public class TrainCommandTests
{
    [Fact]
    public void TrainWritesAModelThatPlainMlNetLoadsAndThatPredictsTheClassNames()
    {
        using var wine = new WineData();
        var run = CliRun.Of("train", "--data", wine.Train, "--teacher", WineData.Teacher, "--ignore", "Split", "--hidden", "16",
            "--epochs", "300", "--test", wine.Test, "--output", wine.In("out"), "--json");

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var result = run.Json;
        Assert.Equal(["student.zip", "student.onnx", "training.json"], result["files"]!.AsArray().Select(f => Path.GetFileName(f!.GetValue<string>())));
        Assert.Equal(300, result["epochsRun"]!.GetValue<int>());
        Assert.True(result["test"]!["accuracy"]!.GetValue<double>() >= 0.9, run.Out);
        // The report of a multiclass student with a teacher: Markdown, JSON and PNG plots.
        Assert.Contains(result["report"]!.AsArray(), f => f!.GetValue<string>().EndsWith(".png", StringComparison.Ordinal));
        Assert.Equal(53.0 / 54, result["teacherTest"]!["accuracy"]!.GetValue<double>(), 12);

        var ml = new MLContext();
        var model = ml.Model.Load(wine.In("out/student.zip"), out var schema);
        var rows = ml.Data.LoadFromTextFile(wine.Test, [new TextLoader.Column("Label", DataKind.String, 0), new TextLoader.Column("Features", DataKind.Single, 1, 13)],
            separatorChar: ',', hasHeader: true);
        var predicted = model.Transform(rows).GetColumn<ReadOnlyMemory<char>>("PredictedValue").Select(p => p.ToString()).ToArray();
        Assert.Equal(54, predicted.Length);
        Assert.All(predicted, p => Assert.Contains(p, new[] { "class_0", "class_1", "class_2" }));
        (model as IDisposable)?.Dispose();
    }

    [Fact]
    public void LabelWritesACacheThatTrainReadsInsteadOfRunningTheTeacher()
    {
        using var wine = new WineData();
        var label = CliRun.Of("label", "--data", wine.Train, "--teacher", WineData.Teacher, "--ignore", "Split", "--output", wine.In("soft.idv"), "--json");
        Assert.True(label.ExitCode == ExitCodes.Success, label.Error);
        Assert.Equal(124, label.Json["rows"]!.GetValue<long>());
        Assert.True(new FileInfo(wine.In("soft.idv")).Length > 0);

        var train = CliRun.Of("train", "--data", wine.Train, "--teacher", WineData.Teacher, "--cache", wine.In("soft.idv"), "--ignore", "Split",
            "--hidden", "8", "--epochs", "5", "--output", wine.In("out"), "--json");
        Assert.True(train.ExitCode == ExitCodes.Success, train.Error);
        Assert.True(File.Exists(wine.In("out/student.onnx")));

        // Labelling again would overwrite the cache: refused, the cache is untouched.
        var again = CliRun.Of("label", "--data", wine.Train, "--teacher", WineData.Teacher, "--ignore", "Split", "--output", wine.In("soft.idv"));
        Assert.Equal(ExitCodes.InputError, again.ExitCode);
        Assert.Contains("exists already", again.Error);
    }

    [Fact]
    public void AStaleCacheIsRefusedWithTheDifferenceNamed()
    {
        using var wine = new WineData();
        Assert.Equal(ExitCodes.Success, CliRun.Of("label", "--data", wine.Train, "--teacher", WineData.Teacher, "--ignore", "Split", "--output", wine.In("soft.idv")).ExitCode);
        // Other features than the cache was written for.
        var run = CliRun.Of("train", "--data", wine.Train, "--teacher", WineData.Teacher, "--cache", wine.In("soft.idv"), "--features", "F0..F12",
            "--label", "Label", "--hidden", "8", "--epochs", "2", "--output", wine.In("out"));
        Assert.Equal(ExitCodes.Success, run.ExitCode);   // the same 13 columns: the cache matches
        var test = CliRun.Of("train", "--data", wine.Test, "--teacher", WineData.Teacher, "--cache", wine.In("soft.idv"), "--ignore", "Split",
            "--hidden", "8", "--epochs", "2", "--output", wine.In("out2"));
        Assert.Equal(ExitCodes.InputError, test.ExitCode);
        Assert.Contains("cache", test.Error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", test.Error);
        Assert.False(Directory.Exists(wine.In("out2")) && File.Exists(wine.In("out2/student.zip")));
    }

    [Theory]
    [InlineData("binary", "pima", "accuracy")]
    [InlineData("regression", "boston", "rootMeanSquaredError")]
    public void OtherTasksTrainFromTheirTeachers(string task, string data, string metric)
    {
        using var folder = new WineData();
        var run = CliRun.Of("train", "--task", task, "--data", WineData.Fixture($"{data}/train.csv"), "--teacher", WineData.Fixture($"{data}/teacher.onnx"),
            "--hidden", "8", "--epochs", "5", "--test", WineData.Fixture($"{data}/test.csv"), "--output", folder.In("out"), "--json");
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.True(double.IsFinite(run.Json["test"]![metric]!.GetValue<double>()));
        Assert.True(File.Exists(folder.In("out/student.zip")));
        Assert.True(File.Exists(folder.In("out/report/distillation-report.md")));   // the report of the task
    }

    [Fact]
    public void ARankingStudentTrainsOnItsGroups()
    {
        using var folder = new WineData();
        string data = WineData.Fixture("fashion-retrieval/train.csv");
        var run = CliRun.Of("train", "--task", "ranking", "--group", "GroupId", "--data", data, "--teacher", WineData.Fixture("fashion-retrieval/teacher.onnx"),
            "--hidden", "8", "--epochs", "3", "--test", WineData.Fixture("fashion-retrieval/test.csv"), "--output", folder.In("out"), "--json");
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.InRange(run.Json["test"]!["ndcgAt10"]!.GetValue<double>(), 0, 1);

        var noGroup = CliRun.Of("train", "--task", "ranking", "--data", data, "--output", folder.In("out2"));
        Assert.Equal(ExitCodes.InputError, noGroup.ExitCode);
        Assert.Contains("--group", noGroup.Error);
    }
}
