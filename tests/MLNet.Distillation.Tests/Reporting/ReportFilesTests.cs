using System.Buffers.Binary;
using MLNet.Distillation.Reporting;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Reporting;

/// <summary>What <see cref="DistillationReport.Save"/> writes.</summary>
public class ReportFilesTests(WineReportFixture wine) : IClassFixture<WineReportFixture>
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void SaveWritesJsonMarkdownAndEveryPlotAndNothingElse()
    {
        var dir = TempDir();
        var written = wine.Report.Save(dir);
        string[] expected = ["distillation-report.json", "distillation-report.md", "latency.png", "reliability.png", "size.png", "throughput.png", "training-loss.png", "training-metrics.png"];
        Assert.Equal(expected, written.Select(Path.GetFileName).Order());
        Assert.Equal(expected, Directory.GetFiles(dir).Select(Path.GetFileName).Order());   // no temporary files left behind
        Assert.Equal(wine.Report.ToJson(), File.ReadAllText(Path.Combine(dir, "distillation-report.json")));
        Assert.Equal(wine.Report.ToMarkdown(), File.ReadAllText(Path.Combine(dir, "distillation-report.md")));
    }

    [Fact]
    public void PlotsArePngImagesOf900By540Pixels()
    {
        var dir = TempDir();
        foreach (var png in wine.Report.Save(dir).Where(p => p.EndsWith(".png")))
        {
            var bytes = File.ReadAllBytes(png);
            Assert.Equal(PngSignature, bytes[..8]);
            Assert.Equal(900, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));   // IHDR width
            Assert.Equal(540, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));   // IHDR height
            Assert.True(bytes.Length > 10_000, $"{Path.GetFileName(png)} is only {bytes.Length} bytes: is it blank?");
        }
    }

    [Fact]
    public void SaveWithoutPlotsWritesOnlyJsonAndMarkdown()
    {
        var dir = TempDir();
        wine.Report.Save(dir, includePlots: false);
        Assert.Equal(["distillation-report.json", "distillation-report.md"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void PlotsThatHaveNothingToShowAreLeftOut()
    {
        // No labels: no reliability diagram. No timings: no latency or throughput bars. No history: no training curves.
        var report = ReportFromPredictionsTests.HandMadeReport([-1, -1, -1, -1, -1, -1]);
        var bare = DistillationReport.FromPredictions(report.Teacher with { Latency = [] }, report.Student with { Latency = [] },
            HandMadePredictions.Teacher, HandMadePredictions.Student, [-1, -1, -1, -1, -1, -1], 5, [], "test machine");
        var dir = TempDir();
        bare.Save(dir);
        Assert.Equal(["distillation-report.json", "distillation-report.md", "size.png"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void SaveReplacesAnEarlierReport()
    {
        var dir = TempDir();
        File.WriteAllText(Path.Combine(dir, "distillation-report.md"), "old");
        wine.Report.Save(dir, includePlots: false);
        Assert.StartsWith("# Distillation report", File.ReadAllText(Path.Combine(dir, "distillation-report.md")));
    }
}
