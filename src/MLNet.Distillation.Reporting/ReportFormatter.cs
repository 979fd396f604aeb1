using System.Globalization;
using System.Text;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Training;

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
        var rows = new List<string[]>();
        if (r.IsClassification)
        {
            rows.Add(Quality("Accuracy", t.Accuracy, s.Accuracy, v => v.ToString("P2", Inv), d => $"{d * 100:+0.00;-0.00;0.00} points"));
            if (r.Task == DistillationTask.BinaryClassification)
                rows.Add(Quality("AUC (ROC)", t.AreaUnderRocCurve, s.AreaUnderRocCurve, F4, Signed));
            rows.Add(Quality("Macro-F1", t.MacroF1, s.MacroF1, F4, Signed));
            rows.Add(Quality("Log-loss", t.LogLoss, s.LogLoss, F4, Signed));
            rows.Add(Quality($"ECE ({r.CalibrationBins} bins)", t.ExpectedCalibrationError, s.ExpectedCalibrationError, F4, Signed));
        }
        else if (r.Task == DistillationTask.Regression)
        {
            int outputs = s.PerOutput?.Count ?? 1;
            string mean = outputs > 1 ? $" (mean over {outputs} outputs)" : "";
            rows.Add(Quality("RMSE" + mean, t.RootMeanSquaredError, s.RootMeanSquaredError, G4, Signed4));
            rows.Add(Quality("MAE" + mean, t.MeanAbsoluteError, s.MeanAbsoluteError, G4, Signed4));
            rows.Add(Quality("R²" + mean, t.RSquared, s.RSquared, F4, Signed));
        }
        else
        {
            foreach (int k in new[] { 1, 3, 5, 10 })
                rows.Add(Quality($"NDCG@{k}", At(t.Ndcg, k), At(s.Ndcg, k), F4, Signed));
        }
        rows.Add(["Parameters", t.ParameterCount.ToString("N0", Inv), s.ParameterCount.ToString("N0", Inv), $"{Ratio(r.ParameterRatio)} fewer"]);
        rows.Add(["ONNX file size", Bytes(t.FileBytes), Bytes(s.FileBytes), $"{Ratio(r.CompressionRatio)} smaller"]);
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
        switch (r.Task)
        {
            case DistillationTask.MulticlassClassification or DistillationTask.BinaryClassification:
                rows.Add([r.Task == DistillationTask.BinaryClassification ? "Predicted-label agreement with teacher" : "Top-1 agreement with teacher", "",
                    r.TopOneAgreement is double a ? a.ToString("P2", Inv) : None, ""]);
                rows.Add(["Mean KL(teacher ‖ student)", "", r.MeanKlDivergence is double kl ? $"{kl.ToString("F4", Inv)} nats" : None, ""]);
                break;
            case DistillationTask.Regression:
                rows.Add(["RMSE to teacher (fidelity)", "", r.TeacherFidelityRmse is double f ? G4(f) : None, ""]);
                break;
            case DistillationTask.Ranking:
                rows.Add(["Rank correlation with teacher (Kendall τ-b)", "",
                    r.RankCorrelation is double tau ? tau.ToString("F4", Inv) : None, ""]);
                break;
        }
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
        if (r.Task == DistillationTask.Regression && r.Student.PerOutput is { Count: > 1 } studentOutputs && r.Teacher.PerOutput is { } teacherOutputs)
        {
            sb.AppendLine();
            sb.AppendLine("## Per output");
            sb.AppendLine();
            sb.AppendLine("| Output | Teacher RMSE | Student RMSE | Teacher MAE | Student MAE | Teacher R² | Student R² | RMSE to teacher |");
            sb.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            for (int k = 0; k < studentOutputs.Count; k++)
            {
                var to = teacherOutputs[k];
                var so = studentOutputs[k];
                sb.AppendLine($"| {k} | {Opt(to.RootMeanSquaredError, G4)} | {Opt(so.RootMeanSquaredError, G4)} | {Opt(to.MeanAbsoluteError, G4)} | {Opt(so.MeanAbsoluteError, G4)} | " +
                    $"{Opt(to.RSquared, F4)} | {Opt(so.RSquared, F4)} | {Opt(r.TeacherFidelityRmsePerOutput?[k], G4)} |");
            }
        }
        if (r.Task == DistillationTask.Ranking && (r.Teacher.Ndcg is not null || r.Student.Ndcg is not null))
        {
            sb.AppendLine();
            sb.AppendLine("## NDCG@k");
            sb.AppendLine();
            sb.AppendLine($"Mean over the {r.LabelledGroups.ToString("N0", Inv)} groups with a labelled row (of {r.Groups.ToString("N0", Inv)}).");
            sb.AppendLine();
            sb.AppendLine("| k | Teacher | Student | Student vs teacher |");
            sb.AppendLine("| ---: | ---: | ---: | --- |");
            for (int k = 1; k <= DistillationReport.NdcgDepth; k++)
            {
                var row = Quality(k.ToString(Inv), At(r.Teacher.Ndcg, k), At(r.Student.Ndcg, k), F4, Signed);
                sb.AppendLine("| " + string.Join(" | ", row) + " |");
            }
        }
        if (r.IsClassification && r.LabelledRows > 0)
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
            var metrics = ValidationColumns(r.Task);
            sb.AppendLine("| Epoch | Loss | " + string.Join(" | ", terms.Select(Escape).Concat(metrics.Select(m => m.Name))) + " |");
            sb.AppendLine("| ---: | ---: | " + string.Join(" | ", terms.Concat(metrics.Select(m => m.Name)).Select(_ => "---:")) + " |");
            foreach (var e in r.TrainingHistory)
                sb.AppendLine($"| {e.Epoch}{(e.IsBest ? " *" : "")} | {e.Loss.ToString("F4", Inv)} | " +
                    string.Join(" | ", terms.Select(k => e.LossTerms.TryGetValue(k, out var v) ? v.ToString("F4", Inv) : None)
                        .Concat(metrics.Select(m => Nan(m.Value(e), m.Format)))) + " |");
        }
        return sb.ToString();
    }

    /// <summary>The per-epoch validation numbers the student's trainer records for the task.</summary>
    private static (string Name, Func<EpochProgress, double> Value, string Format)[] ValidationColumns(DistillationTask task) => task switch
    {
        DistillationTask.Regression => [("Validation RMSE", e => e.ValidationRmse, "G4"), ("Validation RMSE to teacher", e => e.ValidationTeacherRmse, "G4")],
        DistillationTask.Ranking => [("Validation NDCG@10", e => e.ValidationNdcg, "F4"), ("Validation pair agreement", e => e.ValidationTeacherAgreement, "P2")],
        _ => [("Validation accuracy", e => e.ValidationAccuracy, "P2"), ("Validation agreement", e => e.ValidationTeacherAgreement, "P2"), ("Validation KL", e => e.ValidationTeacherKl, "F4")],
    };

    private static string Heading(DistillationReport r) => "Distillation report: " + Scope(r);

    private static string Scope(DistillationReport r)
        => $"{TaskName(r.Task)}: {r.Rows.ToString("N0", Inv)} test rows ({r.LabelledRows.ToString("N0", Inv)} labelled" +
            (r.Task == DistillationTask.Ranking ? $"; {r.Groups.ToString("N0", Inv)} groups" : "") + $"), {r.CreatedAt.ToString("yyyy-MM-dd HH:mm 'UTC'", Inv)}.";

    private static string TaskName(DistillationTask task) => task switch
    {
        DistillationTask.MulticlassClassification => "Multiclass classification",
        DistillationTask.BinaryClassification => "Binary classification",
        DistillationTask.Regression => "Regression",
        _ => "Ranking",
    };

    private static IEnumerable<string> Notes(DistillationReport r)
    {
        switch (r.Task)
        {
            case DistillationTask.BinaryClassification:
                yield return "Binary: each model's output is read as two classes [1 − p, p] for accuracy, macro-F1, log-loss, ECE, agreement and KL; AUC ranks the labelled rows by the positive-class score (ties count one half).";
                break;
            case DistillationTask.Regression:
                yield return $"RMSE to teacher: √(mean (student − teacher)²) over all {r.Rows.ToString("N0", Inv)} test rows, labelled or not" +
                    (r.Student.PerOutput is { Count: > 1 } o ? $", per output then the mean over the {o.Count} outputs (as RMSE, MAE and R² are)." : ".");
                break;
            case DistillationTask.Ranking:
                yield return $"NDCG: mean over the {r.LabelledGroups.ToString("N0", Inv)} groups with a labelled row, gains {string.Join(", ", (r.RankingLabelGains ?? []).Select(g => g.ToString(Inv)))} for grades 0–{(r.RankingLabelGains?.Count ?? 1) - 1} " +
                    "and discount 1/log₂(rank + 1) as in ML.NET's Ranking.Evaluate (a group whose gains are all 0 counts as 0; ties in score put the lower grade first). " +
                    $"Rank correlation: Kendall's τ-b between the student's and the teacher's scores within each group, the mean over the {r.RankCorrelationGroups.ToString("N0", Inv)} groups with two or more distinct scores.";
                break;
        }
        yield return "Parameters: values in each model's ONNX initializers (weights, biases and stored constants such as standardisation statistics).";
        var timed = r.Teacher.Latency.Concat(r.Student.Latency).FirstOrDefault();
        if (timed is null)
        {
            yield return "Latency was not measured.";
            yield break;
        }
        yield return $"Timed on the CPU: {r.Machine}.";
        yield return $"Latency: {timed.SingleRowCalls} single-row calls per model and runtime after a warm-up, features already in memory; " +
            $"{DistillationReport.OnnxRuntime} = InferenceSession on the ONNX file with {Threads(timed.IntraOpThreads)} (one row: copied into an input bound once, RunWithBinding; batches: Run), {DistillationReport.MlNet} = PredictionEngine.Predict on the student's ML.NET model (every column its task writes). " +
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

    private static string F4(double v) => v.ToString("F4", Inv);

    private static string G4(double v) => v.ToString("G4", Inv);

    private static string Signed(double d) => d.ToString("+0.0000;-0.0000;0.0000", Inv);

    private static string Signed4(double d) => (d > 0 ? "+" : "") + d.ToString("G4", Inv);

    private static string Opt(double? v, Func<double, string> format) => v is double x ? format(x) : None;

    private static double? At(IReadOnlyList<double>? values, int k) => values is { } v && v.Count >= k ? v[k - 1] : null;

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
