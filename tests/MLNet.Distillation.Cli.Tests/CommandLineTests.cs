namespace MLNet.Distillation.Cli.Tests;

/// <summary>Help, exit codes and error messages.</summary>
public class CommandLineTests
{
    [Theory]
    [InlineData("label")]
    [InlineData("train")]
    [InlineData("auto")]
    [InlineData("report")]
    [InlineData("export")]
    public void EveryCommandsHelpHasAWorkedExample(string command)
    {
        var run = CliRun.Of(command, "--help");
        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("Example", run.Out);
        Assert.Contains($"mlnet-distill {command} --", run.Out);
    }

    [Fact]
    public void AWrongCommandLineIsAUsageErrorThatPointsToHelp()
    {
        var run = CliRun.Of("train", "--data");
        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("mlnet-distill train --help", run.Error);
        Assert.Equal(ExitCodes.UsageError, CliRun.Of("distil").ExitCode);
    }

    [Fact]
    public void AMissingFileIsAnInputErrorNamingItWithoutAStackTrace()
    {
        using var wine = new WineData();
        var run = CliRun.Of("train", "--data", wine.In("missing.csv"), "--output", wine.In("out"));
        Assert.Equal(ExitCodes.InputError, run.ExitCode);
        Assert.Contains("missing.csv", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
        Assert.False(Directory.Exists(wine.In("out")));
    }

    [Fact]
    public void VerboseAddsTheStackTrace()
    {
        using var wine = new WineData();
        var run = CliRun.Of("train", "--data", wine.Train, "--features", "F0,Nope", "--output", wine.In("out"), "--verbose");
        Assert.Equal(ExitCodes.InputError, run.ExitCode);
        Assert.Contains("no column 'Nope'", run.Error);
        Assert.Contains("   at ", run.Error);
    }

    [Fact]
    public void JsonErrorsAreJsonOnStandardOutput()
    {
        using var wine = new WineData();
        var run = CliRun.Of("train", "--data", wine.Train, "--features", "F0..Nope", "--output", wine.In("out"), "--json");
        Assert.Equal(ExitCodes.InputError, run.ExitCode);
        Assert.Equal("input", run.Json["kind"]!.GetValue<string>());
        Assert.Contains("The columns are: Label, F0", run.Json["error"]!.GetValue<string>());
    }

    [Fact]
    public void ATextFeatureColumnIsRefusedByName()
    {
        using var wine = new WineData();
        var run = CliRun.Of("train", "--data", wine.Train, "--features", "F0,Split", "--output", wine.In("out"));
        Assert.Equal(ExitCodes.InputError, run.ExitCode);
        Assert.Contains("Feature column 'Split'", run.Error);
    }
}
