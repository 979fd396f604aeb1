using Microsoft.ML.OnnxRuntime;

namespace MLNet.Distillation.Cli.Tests;

/// <summary>report, export and auto on a student trained by train.</summary>
public class ReportExportAutoTests
{
    private static void Train(WineData wine, string folder)
    {
        var run = CliRun.Of("train", "--data", wine.Train, "--teacher", WineData.Teacher, "--ignore", "Split", "--hidden", "16", "--epochs", "300", "--output", wine.In(folder));
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
    }

    [Fact]
    public void ReportComparesTheSavedStudentWithItsTeacherByClassName()
    {
        using var wine = new WineData();
        Train(wine, "student");
        var run = CliRun.Of("report", "--teacher", WineData.Teacher, "--model", wine.In("student/student.zip"), "--data", wine.Test, "--ignore", "Split",
            "--class-names", "class_0,class_1,class_2", "--output", wine.In("report"), "--json");
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var r = run.Json;
        Assert.Equal(54, r["labelledRows"]!.GetValue<long>());
        Assert.Equal(53.0 / 54, r["teacherAccuracy"]!.GetValue<double>(), 12);   // tools/make_fixtures.py: 53 of 54
        Assert.True(r["agreement"]!.GetValue<double>() > 0.8);
        Assert.Contains("| test accuracy (54 labelled rows) |", File.ReadAllText(wine.In("report/report.md")));

        var unnamed = CliRun.Of("report", "--teacher", WineData.Teacher, "--model", wine.In("student/student.zip"), "--data", wine.Test, "--ignore", "Split", "--output", wine.In("report2"));
        Assert.Equal(ExitCodes.InputError, unnamed.ExitCode);
        Assert.Contains("--class-names", unnamed.Error);
    }

    [Fact]
    public void ExportWritesTheStandaloneGraphThatTrainWrites()
    {
        using var wine = new WineData();
        Train(wine, "student");
        var run = CliRun.Of("export", "--model", wine.In("student/student.zip"), "--output", wine.In("exported.onnx"), "--json");
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        using var exported = new InferenceSession(wine.In("exported.onnx"));
        using var trained = new InferenceSession(wine.In("student/student.onnx"));
        Assert.Equal("features", Assert.Single(exported.InputMetadata).Key);
        Assert.Equal(trained.OutputMetadata.Keys.Order(), exported.OutputMetadata.Keys.Order());
        // The same probabilities as the student.onnx that train wrote, on some rows.
        var x = Enumerable.Range(0, 5 * 13).Select(i => (float)Math.Sin(i) * 10 + 12).ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(x, [5, 13]);
        using var a = exported.Run(new RunOptions(), ["features"], [input], ["probabilities"]);
        using var b = trained.Run(new RunOptions(), ["features"], [input], ["probabilities"]);
        var pa = a[0].GetTensorDataAsSpan<float>().ToArray();
        var pb = b[0].GetTensorDataAsSpan<float>().ToArray();
        for (int i = 0; i < pa.Length; i++) Assert.True(Math.Abs(pa[i] - pb[i]) <= 1e-5, $"probability {i}: {pa[i]} vs {pb[i]}");

        File.WriteAllBytes(wine.In("damaged.zip"), File.ReadAllBytes(wine.In("student/student.zip"))[..1000]);
        var damaged = CliRun.Of("export", "--model", wine.In("damaged.zip"), "--output", wine.In("x.onnx"));
        Assert.Equal(ExitCodes.InputError, damaged.ExitCode);
        Assert.Contains("damaged.zip", damaged.Error);
        Assert.False(File.Exists(wine.In("x.onnx")));
    }

    [Fact]
    public void AutoWritesTheWinnerAndTheLeaderboard()
    {
        using var wine = new WineData();
        var run = CliRun.Of("auto", "--data", wine.Train, "--teacher", WineData.Teacher, "--ignore", "Split", "--hidden", "8", "--epochs", "6",
            "--max-trials", "4", "--output", wine.In("auto"), "--json");
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.False(string.IsNullOrEmpty(run.Json["winner"]!.GetValue<string>()));
        Assert.True(File.Exists(wine.In("auto/autodistill.json")));
        Assert.True(File.Exists(wine.In("auto/student.zip")));
    }

    [Fact]
    public void AutoSearchesARegressionStudentToo()
    {
        using var folder = new WineData();
        var run = CliRun.Of("auto", "--task", "regression", "--data", WineData.Fixture("boston/train.csv"), "--teacher", WineData.Fixture("boston/teacher.onnx"),
            "--hidden", "8", "--epochs", "4", "--max-trials", "3", "--test", WineData.Fixture("boston/test.csv"), "--output", folder.In("auto"), "--json");
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.True(double.IsFinite(run.Json["test"]!["rootMeanSquaredError"]!.GetValue<double>()));
    }
}
