namespace MLNet.Distillation.Cli.Tests;

/// <summary>On a terminal, train draws progress bars: the rows pass with rows/s and the epochs with the loss.</summary>
public class ProgressTests
{
    [Fact]
    public void TrainOnATerminalDrawsTheRowsAndEpochBars()
    {
        using var wine = new WineData();
        var run = CliRun.Of(true, "train", "--data", wine.Train, "--teacher", WineData.Teacher, "--ignore", "Split", "--hidden", "8",
            "--epochs", "20", "--validation-fraction", "0.2", "--output", wine.In("out"));
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.Contains("training rows", run.Out);
        Assert.Contains("rows/s", run.Out);
        Assert.Contains("epoch 20/20", run.Out);
        Assert.Contains("val acc", run.Out);
    }

    [Fact]
    public void LabelOnATerminalDrawsTheTeacherPass()
    {
        using var wine = new WineData();
        var run = CliRun.Of(true, "label", "--data", wine.Train, "--teacher", WineData.Teacher, "--ignore", "Split", "--output", wine.In("soft.idv"));
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.Contains("teacher pass", run.Out);
        Assert.Contains("124 rows", run.Out);
    }

    [Fact]
    public void JsonDrawsNoBars()
    {
        using var wine = new WineData();
        var run = CliRun.Of(true, "label", "--data", wine.Train, "--teacher", WineData.Teacher, "--ignore", "Split", "--output", wine.In("soft.idv"), "--json");
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.StartsWith("{", run.Out.TrimStart());
        Assert.Equal(124, run.Json["rows"]!.GetValue<long>());
    }
}
