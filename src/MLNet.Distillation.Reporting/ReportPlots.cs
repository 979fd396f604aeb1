using System.Globalization;
using MLNet.Distillation.Losses;
using ScottPlot;

namespace MLNet.Distillation.Reporting;

/// <summary>
/// Renders the plots of a <see cref="DistillationReport"/> as PNG bytes with ScottPlot: training curves (loss terms;
/// train and validation metrics of the task), reliability diagrams of teacher and student (classification), single-row latency bars, throughput bars
/// and file-size bars.
/// A plot with nothing to show (no training history, no labels, no timings) is left out.
/// </summary>
internal static class ReportPlots
{
    private const int Width = 900, Height = 540;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly Color TeacherColor = Color.FromHex("#1f77b4");
    private static readonly Color StudentColor = Color.FromHex("#ff7f0e");
    private static readonly Color StudentMlNetColor = Color.FromHex("#2ca02c");

    /// <summary>(file name, PNG bytes) of every plot that has data.</summary>
    public static IEnumerable<(string Name, byte[] Png)> Render(DistillationReport r)
    {
        if (TrainingLoss(r) is { } loss) yield return ("training-loss.png", loss);
        if (TrainingMetrics(r) is { } metrics) yield return ("training-metrics.png", metrics);
        if (Reliability(r) is { } reliability) yield return ("reliability.png", reliability);
        if (Latency(r) is { } latency) yield return ("latency.png", latency);
        if (Throughput(r) is { } throughput) yield return ("throughput.png", throughput);
        yield return ("size.png", Size(r));
    }

    private static byte[]? TrainingLoss(DistillationReport r)
    {
        var h = r.TrainingHistory;
        if (h.Count == 0) return null;
        var plot = new Plot();
        double[] epochs = h.Select(e => (double)e.Epoch).ToArray();
        var total = plot.Add.ScatterLine(epochs, h.Select(e => e.Loss).ToArray());
        total.LegendText = "total loss";
        total.LineWidth = 3;
        foreach (var term in h.SelectMany(e => e.LossTerms.Keys).Distinct())
        {
            var line = plot.Add.ScatterLine(epochs, h.Select(e => e.LossTerms.TryGetValue(term, out var v) ? v : double.NaN).ToArray());
            line.LegendText = term;
            line.LinePattern = LinePattern.Dashed;
            line.LineWidth = 2;
        }
        plot.Title("Student training: loss per term (mean over each epoch)");
        EpochAxis(plot);
        plot.YLabel("loss");
        plot.ShowLegend(Edge.Bottom);
        return Png(plot);
    }

    private static byte[]? TrainingMetrics(DistillationReport r)
    {
        var h = r.TrainingHistory;
        if (h.Count == 0) return null;
        double[] epochs = h.Select(e => (double)e.Epoch).ToArray();
        var left = new (string Name, double[] Values)[]
        {
            ("train accuracy", h.Select(e => e.TrainAccuracy).ToArray()),
            ("validation accuracy", h.Select(e => e.ValidationAccuracy).ToArray()),
            (r.Task == DistillationTask.Ranking ? "validation pairs ordered as the teacher" : "validation agreement with teacher", h.Select(e => e.ValidationTeacherAgreement).ToArray()),
            ("validation NDCG@10", h.Select(e => e.ValidationNdcg).ToArray()),
        }.Where(s => s.Values.Any(double.IsFinite)).ToArray();
        var right = new (string Name, double[] Values)[]
        {
            ("validation log-loss", h.Select(e => e.ValidationLogLoss).ToArray()),
            ("validation KL(teacher ‖ student)", h.Select(e => e.ValidationTeacherKl).ToArray()),
            ("validation RMSE", h.Select(e => e.ValidationRmse).ToArray()),
            ("validation RMSE to teacher", h.Select(e => e.ValidationTeacherRmse).ToArray()),
        }.Where(s => s.Values.Any(double.IsFinite)).ToArray();
        if (left.Length == 0 && right.Length == 0) return null;
        bool errorsOnly = left.Length == 0;   // regression: RMSEs alone, on the left axis
        if (errorsOnly) (left, right) = (right, []);

        var plot = new Plot();
        foreach (var (name, values) in left)
        {
            var line = plot.Add.ScatterLine(epochs, values);
            line.LegendText = name;
            line.LineWidth = 2;
        }
        foreach (var (name, values) in right)
        {
            var line = plot.Add.ScatterLine(epochs, values);
            line.LegendText = name + " (right axis)";
            line.LineWidth = 2;
            line.LinePattern = LinePattern.Dashed;
            line.Axes.YAxis = plot.Axes.Right;
        }
        bool validation = h.Any(e => double.IsFinite(e.ValidationAccuracy) || double.IsFinite(e.ValidationTeacherAgreement) || double.IsFinite(e.ValidationLogLoss)
            || double.IsFinite(e.ValidationRmse) || double.IsFinite(e.ValidationTeacherRmse) || double.IsFinite(e.ValidationNdcg));
        plot.Title(validation ? "Student training: metrics per epoch"
            : "Student training: metrics per epoch (no validation rows: set StudentOptions.ValidationFraction for validation curves)", 13);
        EpochAxis(plot);
        if (errorsOnly) plot.YLabel(r.Task == DistillationTask.Regression ? "RMSE (targets' units), lower is better" : "log-loss / KL (nats)");
        else if (left.Length > 0) plot.YLabel(r.Task == DistillationTask.Ranking ? "NDCG / pair agreement" : "accuracy / agreement");
        if (right.Length > 0) plot.Axes.Right.Label.Text = r.Task == DistillationTask.Regression ? "RMSE (targets' units)" : "log-loss / KL (nats)";
        plot.ShowLegend(Edge.Bottom);
        return Png(plot);
    }

    private static byte[]? Reliability(DistillationReport r)
    {
        if (!r.IsClassification || r.LabelledRows == 0) return null;
        var plot = new Plot();
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LinePattern = LinePattern.Dotted;
        diagonal.Color = Colors.Gray;
        diagonal.LegendText = "perfect calibration";
        void Add(ModelSummary m, Color color)
        {
            var bins = m.Reliability.Where(b => b.Count > 0).ToArray();
            var line = plot.Add.Scatter(bins.Select(b => b.MeanConfidence!.Value).ToArray(), bins.Select(b => b.Accuracy!.Value).ToArray(), color);
            line.LegendText = $"{m.Role.ToLowerInvariant()} (ECE {m.ExpectedCalibrationError?.ToString("F4", Inv)})";
            line.LineWidth = 2;
            line.MarkerSize = 8;
        }
        Add(r.Teacher, TeacherColor);
        Add(r.Student, StudentColor);
        plot.Axes.SetLimits(0, 1, 0, 1.02);
        plot.Title($"Reliability on {r.LabelledRows.ToString("N0", Inv)} labelled test rows ({r.CalibrationBins} confidence bins)");
        plot.XLabel("mean confidence in bin (top probability)");
        plot.YLabel("accuracy in bin");
        plot.ShowLegend(Alignment.UpperLeft);
        return Png(plot);
    }

    private static byte[]? Latency(DistillationReport r)
    {
        var entries = r.Teacher.Latency.Select(l => (Name: $"teacher\n{l.Runtime}", Stats: l, Color: TeacherColor))
            .Concat(r.Student.Latency.Select(l => (Name: $"student\n{l.Runtime}", Stats: l, Color: l.Runtime == DistillationReport.MlNet ? StudentMlNetColor : StudentColor)))
            .ToArray();
        if (entries.Length == 0) return null;
        bool micro = entries.Max(e => e.Stats.P95Milliseconds) < 1;
        double scale = micro ? 1000 : 1;
        string unit = micro ? "µs" : "ms";
        var plot = new Plot();
        var bars = new List<Bar>();
        for (int i = 0; i < entries.Length; i++)
        {
            var (_, l, color) = entries[i];
            bars.Add(new Bar { Position = 3 * i, Value = l.P50Milliseconds * scale, FillColor = color, Label = Value(l.P50Milliseconds * scale) });
            bars.Add(new Bar { Position = 3 * i + 1, Value = l.P95Milliseconds * scale, FillColor = color.WithAlpha(0.45), Label = Value(l.P95Milliseconds * scale) });
        }
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 14;
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int i = 0; i < entries.Length; i++)
        {
            ticks.AddMajor(3 * i, "p50");
            ticks.AddMajor(3 * i + 1, "p95");
            ticks.AddMajor(3 * i + 0.5, "\n\n" + entries[i].Name);
        }
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0, top: 0.15);
        var threads = r.Teacher.Latency.FirstOrDefault()?.IntraOpThreads switch
        {
            null => "",
            1 => ", 1 thread",
            int n => $", {n} threads",
        };
        plot.Title(r.SingleRowSpeedup() is double speedup
            ? $"Single-row latency — student {speedup.ToString("N1", Inv)}× faster than the teacher on ONNX Runtime (p50{threads})"
            : "Single-row latency", 15);
        plot.YLabel($"{unit} per row, lower is better");
        return Png(plot);
    }

    private static byte[]? Throughput(DistillationReport r)
    {
        var entries = r.Teacher.Latency.Select(l => (Name: $"teacher\n{l.Runtime}", Stats: l, Color: TeacherColor))
            .Concat(r.Student.Latency.Select(l => (Name: $"student\n{l.Runtime}", Stats: l, Color: l.Runtime == DistillationReport.MlNet ? StudentMlNetColor : StudentColor)))
            .ToArray();
        if (entries.Length == 0) return null;
        var plot = new Plot();
        var bars = entries.Select((e, i) => new Bar
        {
            Position = i, Value = e.Stats.ThroughputRowsPerSecond, FillColor = e.Color, Size = 0.6,
            Label = e.Stats.ThroughputRowsPerSecond.ToString("N0", Inv),
        }).ToList();
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 14;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, entries.Length).Select(i => (double)i).ToArray(),
            entries.Select(e => $"{e.Name}\n(batches of {e.Stats.ThroughputBatchSize})").ToArray());
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.Title("Batch throughput (higher is better)", 15);
        plot.YLabel("rows per second");
        return Png(plot);
    }

    private static string Value(double v) => v >= 100 ? v.ToString("N0", Inv) : v.ToString("0.0", Inv);

    private static byte[] Size(DistillationReport r)
    {
        var plot = new Plot();
        var models = new[] { (r.Teacher, TeacherColor), (r.Student, StudentColor) };
        var bars = models.Select((m, i) => new Bar
        {
            Position = i,
            Value = m.Item1.FileBytes / 1024.0,
            FillColor = m.Item2,
            Size = 0.6,
            Label = $"{(m.Item1.FileBytes / 1024.0).ToString("N0", Inv)} KiB\n{m.Item1.ParameterCount.ToString("N0", Inv)} parameters",
        }).ToList();
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 14;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([0, 1], ["teacher", "student"]);
        plot.Axes.Margins(bottom: 0, top: 0.25);
        plot.Title($"ONNX file size — student {r.CompressionRatio.ToString("N1", Inv)}× smaller, {r.ParameterRatio.ToString("N1", Inv)}× fewer parameters");
        plot.YLabel("KiB");
        return Png(plot);
    }

    private static void EpochAxis(Plot plot)
    {
        plot.XLabel("epoch");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
    }

    private static byte[] Png(Plot plot)
    {
        using (plot) return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }
}
