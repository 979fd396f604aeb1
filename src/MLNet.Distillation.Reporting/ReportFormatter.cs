using System.Globalization;
using System.Text;

namespace MLNet.Distillation.Reporting;

/// <summary>Renders a <see cref="DistillationReport"/> as a plain-text table (console) or Markdown.</summary>
internal static class ReportFormatter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const string None = "—";

    /// <summary>Rows of the comparison table: metric, teacher, student, student relative to teacher.</summary>
    public static IReadOnlyList<string[]> Rows(DistillationReport r)
    {
        var t = r.Teacher;
        var s = r.Student;
        var rows = new List<string[]>
        {
            Quality("Accuracy", t.Accuracy, s.Accuracy, v => v.ToString("P2", Inv), d => $"{d * 100:+0.00;-0.00;0.00} points"),
            Quality("Macro-F1", t.MacroF1, s.MacroF1, v => v.ToString("F4", Inv), d => d.ToString("+0.0000;-0.0000;0.0000", Inv)),
            Quality("Log-loss", t.LogLoss, s.LogLoss, v => v.ToString("F4", Inv), d => d.ToString("+0.0000;-0.0000;0.0000", Inv)),
            Quality($"ECE ({r.CalibrationBins} bins)", t.ExpectedCalibrationError, s.ExpectedCalibrationError, v => v.ToString("F4", Inv), d => d.ToString("+0.0000;-0.0000;0.0000", Inv)),
            new[] { "Parameters", t.ParameterCount.ToString("N0", Inv), s.ParameterCount.ToString("N0", Inv), $"{Ratio(r.ParameterRatio)} fewer" },
            new[] { "ONNX file size", Bytes(t.FileBytes), Bytes(s.FileBytes), $"{Ratio(r.CompressionRatio)} smaller" },
        };
        var teacherOrt = t.Latency.FirstOrDefault(l => l.Runtime == DistillationReport.OnnxRuntime);
        foreach (var runtime in t.Latency.Concat(s.Latency).Select(l => l.Runtime).Distinct())
        {
            var tl = t.Latency.FirstOrDefault(l => l.Runtime == runtime);
            var sl = s.Latency.FirstOrDefault(l => l.Runtime == runtime);
            string vs = runtime == DistillationReport.OnnxRuntime ? "" : $" vs teacher on {DistillationReport.OnnxRuntime}";
            rows.Add([$"Latency p50, 1 row ({runtime})", Ms(tl?.P50Milliseconds), Ms(sl?.P50Milliseconds), Faster(teacherOrt?.P50Milliseconds, sl?.P50Milliseconds) + vs]);
            rows.Add([$"Latency p95, 1 row ({runtime})", Ms(tl?.P95Milliseconds), Ms(sl?.P95Milliseconds), Faster(teacherOrt?.P95Milliseconds, sl?.P95Milliseconds) + vs]);
            int batch = (sl ?? tl)!.ThroughputBatchSize;
            rows.Add([$"Throughput, batches of {batch} ({runtime})", RowsPerSecond(tl?.ThroughputRowsPerSecond), RowsPerSecond(sl?.ThroughputRowsPerSecond),
                teacherOrt is null || sl is null ? "" : $"{Ratio(sl.ThroughputRowsPerSecond / teacherOrt.ThroughputRowsPerSecond)} the rows/s" + vs]);
        }
        rows.Add(["Top-1 agreement with teacher", "", r.TopOneAgreement.ToString("P2", Inv), ""]);
        rows.Add(["Mean KL(teacher ‖ student)", "", $"{r.MeanKlDivergence.ToString("F4", Inv)} nats", ""]);
        return rows;
    }

    /// <summary>A console table with aligned columns, framed by a heading and the timing setup.</summary>
    public static string ToText(DistillationReport r)
    {
        var header = new[] { "", "Teacher", "Student", "Student vs teacher" };
        var rows = Rows(r);
        var widths = Enumerable.Range(0, 4).Select(c => rows.Append(header).Max(row => row[c].Length)).ToArray();
        var sb = new StringBuilder();
        sb.AppendLine(Heading(r));
        sb.AppendLine($"  Teacher: {r.Teacher.Description}");
        sb.AppendLine($"  Student: {r.Student.Description}");
        string Line(string[] cells) => "  " + string.Join("  ", cells.Select((c, i) => i is 1 or 2 ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd();
        sb.AppendLine(Line(header));
        sb.AppendLine("  " + string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows) sb.AppendLine(Line(row));
        foreach (var note in Notes(r)) sb.AppendLine("  " + note);
        return sb.ToString().TrimEnd();
    }

    /// <summary>Markdown: heading, comparison table, notes on the measurements, reliability bins.</summary>
    public static string ToMarkdown(DistillationReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Distillation report");
        sb.AppendLine();
        sb.AppendLine(Scope(r));
        sb.AppendLine();
        sb.AppendLine($"- **Teacher:** {Escape(r.Teacher.Description)}");
        sb.AppendLine($"- **Student:** {Escape(r.Student.Description)}");
        sb.AppendLine();
        sb.AppendLine("| Metric | Teacher | Student | Student vs teacher |");
        sb.AppendLine("| --- | ---: | ---: | --- |");
        foreach (var row in Rows(r)) sb.AppendLine("| " + string.Join(" | ", row.Select(Escape)) + " |");
        sb.AppendLine();
        foreach (var note in Notes(r)) sb.AppendLine($"- {Escape(note)}");
        if (r.LabelledRows > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Reliability");
            sb.AppendLine();
            sb.AppendLine("| Confidence | Teacher rows | Teacher mean confidence | Teacher accuracy | Student rows | Student mean confidence | Student accuracy |");
            sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            for (int b = 0; b < r.CalibrationBins; b++)
            {
                var t = r.Teacher.Reliability[b];
                var s = r.Student.Reliability[b];
                if (t.Count == 0 && s.Count == 0) continue;
                sb.AppendLine($"| ({t.Lower.ToString("F2", Inv)}, {t.Upper.ToString("F2", Inv)}] | {t.Count} | {Fraction(t.MeanConfidence)} | {Fraction(t.Accuracy)} | {s.Count} | {Fraction(s.MeanConfidence)} | {Fraction(s.Accuracy)} |");
            }
        }
        if (r.TrainingHistory.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Training");
            sb.AppendLine();
            var terms = r.TrainingHistory.SelectMany(e => e.LossTerms.Keys).Distinct().ToArray();
            sb.AppendLine("| Epoch | Loss | " + string.Join(" | ", terms.Select(Escape)) + " | Validation accuracy | Validation agreement | Validation KL |");
            sb.AppendLine("| ---: | ---: | " + string.Join(" | ", terms.Select(_ => "---:")) + " | ---: | ---: | ---: |");
            foreach (var e in r.TrainingHistory)
                sb.AppendLine($"| {e.Epoch}{(e.IsBest ? " *" : "")} | {e.Loss.ToString("F4", Inv)} | " +
                    string.Join(" | ", terms.Select(k => e.LossTerms.TryGetValue(k, out var v) ? v.ToString("F4", Inv) : None)) +
                    $" | {Nan(e.ValidationAccuracy, "P2")} | {Nan(e.ValidationTeacherAgreement, "P2")} | {Nan(e.ValidationTeacherKl, "F4")} |");
        }
        return sb.ToString();
    }

    private static string Heading(DistillationReport r) => "Distillation report: " + Scope(r);

    private static string Scope(DistillationReport r)
        => $"{r.Rows.ToString("N0", Inv)} test rows ({r.LabelledRows.ToString("N0", Inv)} labelled), {r.CreatedAt.ToString("yyyy-MM-dd HH:mm 'UTC'", Inv)}.";

    private static IEnumerable<string> Notes(DistillationReport r)
    {
        yield return "Parameters: values in each model's ONNX initializers (weights, biases and stored constants such as standardisation statistics).";
        var timed = r.Teacher.Latency.Concat(r.Student.Latency).FirstOrDefault();
        if (timed is null)
        {
            yield return "Latency was not measured.";
            yield break;
        }
        yield return $"Timed on the CPU: {r.Machine}.";
        yield return $"Latency: {timed.SingleRowCalls} single-row calls per model and runtime after a warm-up, features already in memory; " +
            $"{DistillationReport.OnnxRuntime} = InferenceSession on the ONNX file with {Threads(timed.IntraOpThreads)} (one row: copied into an input bound once, RunWithBinding; batches: Run), {DistillationReport.MlNet} = PredictionEngine.Predict on the student's ML.NET model (Score and PredictedLabel). " +
            $"Throughput: {timed.ThroughputRows} rows per model and runtime.";
    }

    private static string Threads(int? threads) => threads switch
    {
        null => "ONNX Runtime's default intra-op threads",
        1 => "one intra-op thread",
        int n => $"{n} intra-op threads",
    };

    private static string[] Quality(string name, double? t, double? s, Func<double, string> format, Func<double, string> diff)
        => [name, t is double a ? format(a) : None, s is double b ? format(b) : None, t is double x && s is double y ? diff(y - x) : ""];

    private static string Ratio(double x) => double.IsFinite(x) ? (x >= 10 ? x.ToString("N0", Inv) : x.ToString("0.0", Inv)) + "×" : None;

    private static string Faster(double? teacher, double? student)
        => teacher is double t && student is double s && s > 0 ? $"{Ratio(t / s)} faster" : "";

    private static string Ms(double? ms) => ms is double v ? (v < 1 ? v.ToString("0.000", Inv) : v.ToString("0.00", Inv)) + " ms" : None;

    private static string RowsPerSecond(double? v) => v is double x ? x.ToString("N0", Inv) + " rows/s" : None;

    private static string Bytes(long b) => b >= 1 << 20 ? (b / 1048576.0).ToString("0.0", Inv) + " MiB" : (b / 1024.0).ToString("0.0", Inv) + " KiB";

    private static string Fraction(double? v) => v is double x ? x.ToString("F3", Inv) : None;

    private static string Nan(double v, string format) => double.IsNaN(v) ? None : v.ToString(format, Inv);

    private static string Escape(string s) => s.Replace("|", "\\|");
}
