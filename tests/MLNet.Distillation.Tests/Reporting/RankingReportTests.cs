using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Reporting;

namespace MLNet.Distillation.Tests.Reporting;

/// <summary>The report of a ranking student (fashion-retrieval, a CNN cross-encoder teacher), checked against ML.NET's ranking evaluator.</summary>
public class RankingReportTests(TaskReportFixture tasks) : IClassFixture<TaskReportFixture>
{
    private TaskReportFixture.TaskCase Fashion => tasks.Ranking;

    private sealed class Scored
    {
        public float Label { get; set; }
        public uint GroupId { get; set; }
        public float Score { get; set; }
    }

    /// <summary>ML.NET's ranking evaluator on the rows; <paramref name="gains"/> null: its default gains (0, 3, 7, 15, 31).</summary>
    private RankingMetrics Evaluate(IEnumerable<Scored> rows, string? gains = null)
    {
        var data = tasks.Ml.Data.LoadFromEnumerable(rows.ToArray());
        var keyed = tasks.Ml.Transforms.Conversion.MapValueToKey("GroupId").Fit(data).Transform(data);
        return gains is null ? tasks.Ml.Ranking.Evaluate(keyed) : tasks.Ml.Ranking.Evaluate(keyed, new RankingEvaluatorOptions { DcgTruncationLevel = 10, LabelGains = gains });
    }

    private (float[] Labels, uint[] Groups, float[] Teacher, float[] Student) Columns()
    {
        var scored = Fashion.Model.Transform(Fashion.Test);
        return (scored.GetColumn<float>("Label").ToArray(), scored.GetColumn<uint>("GroupId").ToArray(),
            scored.GetColumn<float[]>("Teacher").Select(t => t[0]).ToArray(), scored.GetColumn<float>("Score").ToArray());
    }

    [Fact]
    public void NdcgAtOneToTenIsMlNetsRankingEvaluatorsForBothModels()
    {
        var r = Fashion.Report;
        Assert.Equal(DistillationTask.Ranking, r.Task);
        var (labels, groups, teacher, student) = Columns();
        var studentMetrics = Evaluate(labels.Select((l, i) => new Scored { Label = l, GroupId = groups[i], Score = student[i] }));
        var teacherMetrics = Evaluate(labels.Select((l, i) => new Scored { Label = l, GroupId = groups[i], Score = teacher[i] }));
        Assert.Equal(10, r.Student.Ndcg!.Count);
        for (int k = 0; k < 10; k++)
        {
            Assert.Equal(studentMetrics.NormalizedDiscountedCumulativeGains[k], r.Student.Ndcg[k], 9);
            Assert.Equal(teacherMetrics.NormalizedDiscountedCumulativeGains[k], r.Teacher.Ndcg![k], 9);
        }
        Assert.Equal(4, r.Groups);
        Assert.Equal(4, r.LabelledGroups);
        Assert.Equal(80, r.LabelledRows);
    }

    [Fact]
    public void OtherGainsGiveMlNetsNdcgWithTheSameGains()
    {
        // 2^grade − 1 (the student's ValidationNdcg): grade 1 weighs 1, not 3, so NDCG changes.
        var r = DistillationReport.Create(tasks.Ml, Fashion.Teacher, Fashion.Model, Fashion.Test,
            new DistillationReportOptions { RankingLabelGains = [0, 1, 3], MeasureLatency = false });
        var (labels, groups, _, student) = Columns();
        var metrics = Evaluate(labels.Select((l, i) => new Scored { Label = l, GroupId = groups[i], Score = student[i] }), "0,1,3");
        for (int k = 0; k < 10; k++) Assert.Equal(metrics.NormalizedDiscountedCumulativeGains[k], r.Student.Ndcg![k], 9);
        Assert.NotEqual(Fashion.Report.Student.Ndcg![9], r.Student.Ndcg![9], 6);
        Assert.Equal([0.0, 1, 3], r.RankingLabelGains!);
        Assert.Equal(Fashion.Report.RankCorrelation, r.RankCorrelation);
    }

    [Fact]
    public void NdcgDoesNotDependOnTheRowOrderButMlNetsNeedsContiguousGroups()
    {
        // Rows of a group interleaved with the others: the report groups by id (as the trainer does); ML.NET's evaluator
        // would see 80 groups of one row. Sorted back by group, ML.NET's numbers are the report's.
        var (labels, groups, _, _) = Columns();
        var features = Fashion.Test.GetColumn<float[]>("Features").ToArray();
        var order = Enumerable.Range(0, labels.Length).OrderBy(i => i % 20).ThenBy(i => i).ToArray();
        var shuffled = tasks.Ml.Data.LoadFromEnumerable(order.Select(i => new FashionRow { GroupId = groups[i], Label = labels[i], Features = features[i] }).ToArray());
        var r = DistillationReport.Create(tasks.Ml, Fashion.Teacher, Fashion.Model, shuffled, new DistillationReportOptions { MeasureLatency = false });
        Assert.Equal(Fashion.Report.Student.Ndcg!.ToArray(), r.Student.Ndcg!.ToArray(), new ToleranceComparer(1e-12));
        Assert.Equal(Fashion.Report.RankCorrelation!.Value, r.RankCorrelation!.Value, 12);
    }

    [Fact]
    public void RankCorrelationIsTheMeanOverGroupsOfKendallsTauB()
    {
        var (_, groups, teacher, student) = Columns();
        double sum = 0;
        int counted = 0;
        foreach (var g in groups.Distinct())
        {
            var rows = Enumerable.Range(0, groups.Length).Where(i => groups[i] == g).ToArray();
            sum += TauBByRanks(rows.Select(i => (double)student[i]).ToArray(), rows.Select(i => (double)teacher[i]).ToArray());
            counted++;
        }
        Assert.Equal(4, Fashion.Report.RankCorrelationGroups);
        Assert.Equal(sum / counted, Fashion.Report.RankCorrelation!.Value, 9);
        Assert.InRange(Fashion.Report.RankCorrelation.Value, -1, 1);
    }

    [Fact]
    public void TextMarkdownJsonAndPlotsShowTheRankingNumbers()
    {
        var r = Fashion.Report;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        foreach (var text in new[] { r.ToString(), r.ToMarkdown() })
        {
            Assert.Contains("NDCG@10", text);
            Assert.Contains(r.Student.Ndcg![9].ToString("F4", inv), text);
            Assert.Contains("Kendall τ-b", text);
            Assert.Contains(r.RankCorrelation!.Value.ToString("F4", inv), text);
            Assert.DoesNotContain("Accuracy", text);
        }
        Assert.Contains("## NDCG@k", r.ToMarkdown());
        using var json = JsonDocument.Parse(r.ToJson());
        var root = json.RootElement;
        Assert.Equal("Ranking", root.GetProperty("task").GetString());
        Assert.Equal(10, root.GetProperty("student").GetProperty("ndcg").GetArrayLength());
        Assert.Equal(r.RankCorrelation!.Value, root.GetProperty("rankCorrelation").GetDouble(), 12);
        Assert.Equal(4, root.GetProperty("groups").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("meanKlDivergence").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("teacher").GetProperty("rootMeanSquaredError").ValueKind);
        var written = r.Save(TestData.TempDir()).Select(Path.GetFileName).ToArray();
        Assert.DoesNotContain("reliability.png", written);
        Assert.Contains("size.png", written);
        Assert.Equal([DistillationReport.OnnxRuntime, DistillationReport.MlNet], r.Student.Latency.Select(l => l.Runtime));
    }

    [Fact]
    public void AMissingGroupColumnIsNamedWithTheOptionThatSetsIt()
    {
        var e = Assert.Throws<ArgumentException>(() => DistillationReport.Create(tasks.Ml, Fashion.Teacher, Fashion.Model, Fashion.Test,
            new DistillationReportOptions { RowGroupColumnName = "QueryId", MeasureLatency = false }));
        Assert.Contains("group column 'QueryId'", e.Message);
        Assert.Contains("RowGroupColumnName", e.Message);
    }

    /// <summary>τ-b from the rank formula (mid-ranks are not needed: only signs of differences), written apart from the report's pair loop.</summary>
    private static double TauBByRanks(double[] x, double[] y)
    {
        int n = x.Length;
        double n0 = n * (n - 1) / 2.0;
        double TiedPairs(double[] v) => v.GroupBy(a => a).Sum(g => g.Count() * (g.Count() - 1) / 2.0);
        double s = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (i < j) s += Math.Sign(x[i] - x[j]) * Math.Sign(y[i] - y[j]);
        return s / Math.Sqrt((n0 - TiedPairs(x)) * (n0 - TiedPairs(y)));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(double v) => 0;
    }

    private sealed class FashionRow
    {
        public uint GroupId { get; set; }
        public float Label { get; set; }
        [VectorType(392)] public float[] Features { get; set; } = [];
    }
}
