using System.Globalization;
using System.Text;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Training;

/// <summary>
/// The <c>suite</c> command: on every suite task, what a user gets from the library as built — the textbook scratch
/// loop, the default scratch student, textbook and default distillation, AutoDistill, and distillation with 5 % of the
/// labels — each for several seeds. Writes suite.csv (one line per fit, as it goes), suite-&lt;task&gt;.md per task,
/// suite-summary.md, and AutoDistill's leaderboards.
/// </summary>
static class SuiteConditions
{
    /// <summary>Share of the training rows that keep their label in the label-scarce condition.</summary>
    public const double LabelledFraction = 0.05;

    /// <summary>One row of the tables: a condition (the --conditions name) and how to fit one seed of it.</summary>
    private sealed record Row(string Condition, string Id, string Name, Func<SuiteTask, int, string, Run> Fit);

    private static readonly Row[] Rows =
    [
        new("default-scratch", "default-scratch", "default scratch: `new StudentOptions { HiddenLayers, Seed }`",
            (t, s, _) => t.Fit(new StudentOptions { Seed = s })),
        new("textbook-scratch", "textbook-scratch", "textbook scratch: Adam, constant lr 1e-3, no weight decay",
            (t, s, _) => t.Fit(new StudentOptions { Seed = s, Optimizer = StudentOptimizer.Adam, Schedule = LearningRateSchedule.Constant, LearningRate = 1e-3, WeightDecay = 0 })),
        new("textbook-kd", "textbook-kd", "textbook KD: default recipe + `Loss = DistillationLoss.Hinton(4, 0.9)`",
            (t, s, _) =>
            {
                using var loss = DistillationLoss.Hinton(4, 0.9);
                return t.Fit(new StudentOptions { Seed = s, TeacherColumnName = "TeacherLogits", Loss = loss });
            }),
        new("default-kd", "default-kd", "default KD: only `TeacherColumnName` set",
            (t, s, _) => t.Fit(new StudentOptions { Seed = s, TeacherColumnName = "TeacherLogits" })),
        new("autodistill", "autodistill", "AutoDistill, default space, ranked on the validation split (winner refit on the training rows)",
            (t, s, output) =>
            {
                var (run, result) = t.FitAutoDistill(s);
                AtomicText.Write(Path.Combine(output, $"autodistill-suite-{t.Name}-seed{s}.md"), result.ToMarkdown());
                Console.WriteLine($"    AutoDistill seed {s} picked {result.Winner} ({result.WinnerEpochs} epochs; {result.Reason}); search + refit cost {result.CostRatio:F1} plain fits");
                return run;
            }),
        new("label-scarce", "label-scarce-scratch", $"{LabelledFraction:P0} labels: default scratch on the labelled rows only",
            (t, s, _) => t.Fit(new StudentOptions { Seed = s }, t.LabelScarce(LabelledFraction, s, keepUnlabelled: false))),
        new("label-scarce", "label-scarce-kd", $"{LabelledFraction:P0} labels: default KD on all training rows, the rest unlabelled",
            (t, s, _) => t.Fit(new StudentOptions { Seed = s, TeacherColumnName = "TeacherLogits" }, t.LabelScarce(LabelledFraction, s, keepUnlabelled: true))),
    ];

    public static void Run(SuiteArguments args, string[] commandLine)
    {
        var chosen = args.List("conditions", Rows.Select(r => r.Condition).Distinct().ToList());
        var rows = Rows.Where(r => chosen.Contains(r.Condition)).ToList();
        Directory.CreateDirectory(args.OutputDirectory);
        var results = new SuiteResults(Path.Combine(args.OutputDirectory, "suite.csv"), resume: false);
        var done = new List<SuiteTask>();
        Console.WriteLine($"suite: {args.TaskDirectories.Count} tasks × {rows.Count} rows × {args.Seeds} seeds; CSV {results.FilePath}");
        foreach (var directory in args.TaskDirectories)
        {
            var task = new SuiteTask(directory, args.Threads);
            Console.WriteLine($"{task.Description}\n  teacher: {task.TeacherDescription}; scored in {task.TeacherSeconds:F0} s");
            foreach (var row in rows)
            {
                for (int seed = 1; seed <= args.Seeds; seed++)
                {
                    var run = row.Fit(task, seed, args.OutputDirectory);
                    results.Add(task.Name, row.Id, seed, run);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {task.Name} {row.Id} seed {seed}: accuracy {run.Accuracy * 100:F2}, agreement {run.Agreement * 100:F2}, {run.Time.TotalSeconds:F1} s"));
                }
            }
            done.Add(task);
            AtomicText.Write(Path.Combine(args.OutputDirectory, $"suite-{task.Name}.md"), TaskTable(task, rows, results, args, commandLine));
            AtomicText.Write(Path.Combine(args.OutputDirectory, "suite-summary.md"), SummaryTable(done, rows, results, args, commandLine));
            Console.WriteLine($"  {task.Name} done; tables in {args.OutputDirectory}");
        }
    }

    /// <summary>The scratch a row's gap closed is measured from: 5 %-label scratch for the label-scarce rows, default scratch otherwise.</summary>
    private static string BaselineId(Row row) => row.Condition == "label-scarce" ? "label-scarce-scratch" : "default-scratch";

    private static string TaskTable(SuiteTask task, IReadOnlyList<Row> rows, SuiteResults results, SuiteArguments args, string[] commandLine)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# Suite: {task.Name}");
        sb.AppendLine();
        sb.AppendLine($"{task.Description}.");
        sb.AppendLine($"Teacher: {task.TeacherDescription}.");
        sb.AppendLine($"Command: `dotnet Evidence.dll {string.Join(' ', commandLine)}`; {args.Seeds} seeds, mean ± sample sd on the test split. "
            + $"Gap closed = (accuracy − scratch) / (teacher − scratch), scratch = default scratch, or for the {LabelledFraction:P0}-label rows "
            + $"the scratch student on those {SuiteTask.LabelledRows(task.TrainRows, LabelledFraction):N0} rows. {AutoDistillNote}");
        sb.AppendLine();
        sb.AppendLine("| configuration | test accuracy (mean ± sd) | agreement with teacher | gap closed | wall time per run |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var row in rows)
        {
            var runs = results.Runs(task.Name, row.Id);
            var baseline = results.Runs(task.Name, BaselineId(row));
            double scratch = baseline.Length > 0 ? baseline.Average(r => r.Accuracy) : double.NaN;
            sb.AppendLine(Summary.Of(row.Name, runs).Row(task.TeacherAccuracy, scratch));
        }
        return sb.ToString();
    }

    private static string SummaryTable(IReadOnlyList<SuiteTask> tasks, IReadOnlyList<Row> rows, SuiteResults results, SuiteArguments args, string[] commandLine)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# Suite summary: {tasks.Count} tasks, {args.Seeds} seeds");
        sb.AppendLine();
        sb.AppendLine($"Command: `dotnet Evidence.dll {string.Join(' ', commandLine)}`. Test accuracy, %, mean ± sample sd; "
            + "below it, gap closed ((accuracy − scratch) / (teacher − scratch); scratch = default scratch, or 5 %-label scratch for the 5 %-label KD column) "
            + $"and agreement with the teacher. Per-task tables with wall times: suite-<task>.md. {AutoDistillNote}");
        sb.AppendLine();
        sb.AppendLine($"| task | teacher | {string.Join(" | ", rows.Select(r => r.Id))} |");
        sb.AppendLine($"| --- | ---: |{string.Concat(rows.Select(_ => " ---: |"))}");
        foreach (var t in tasks)
            sb.AppendLine($"| {t.Name} | {t.TeacherAccuracy * 100:F2} | {string.Join(" | ", rows.Select(r => Cell(results.Runs(t.Name, r.Id))))} |");
        sb.AppendLine();
        sb.AppendLine($"| task (gap closed / agreement) | {string.Join(" | ", rows.Select(r => r.Id))} |");
        sb.AppendLine($"| --- |{string.Concat(rows.Select(_ => " ---: |"))}");
        foreach (var t in tasks)
        {
            var cells = rows.Select(r =>
            {
                var runs = results.Runs(t.Name, r.Id);
                var baseline = results.Runs(t.Name, BaselineId(r));
                if (runs.Length == 0 || baseline.Length == 0) return "–";
                double acc = runs.Average(x => x.Accuracy), scratch = baseline.Average(x => x.Accuracy);
                return string.Create(CultureInfo.InvariantCulture, $"{(acc - scratch) / (t.TeacherAccuracy - scratch) * 100:F0} % / {runs.Average(x => x.Agreement) * 100:F2}");
            });
            sb.AppendLine($"| {t.Name} | {string.Join(" | ", cells)} |");
        }
        return sb.ToString();
    }

    private static string Cell(Run[] runs)
    {
        if (runs.Length == 0) return "–";
        var s = Summary.Of("", runs);
        return string.Create(CultureInfo.InvariantCulture, $"{s.Accuracy * 100:F2} ± {s.Sd * 100:F2}");
    }

    private const string AutoDistillNote = "AutoDistill ranks its candidates on the task's validation split (`Fit(train, validation)`), "
        + "which the tabular teachers did not train on (fashion's CNN did), and refits the winner on the training rows; its wall time includes the search.";
}
