using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Samples.Tasks;

/// <summary>
/// The evidence on suite-data/tasks: per task and seed, scratch vs distilled students (the default loss and the task's
/// named losses) with every training label and with a seeded fraction of them (the rest NaN: the teacher teaches them).
/// Every condition uses the same student, optimiser, schedule and step budget (the defaults: 20 epochs or more until
/// 6,000 steps); only the loss, the teacher columns and the labels differ. The 5 %-label scratch student trains on the
/// labelled rows alone. Results: one CSV line per fit (appended as each ends; --resume skips the fits already there)
/// and a Markdown table per task plus a summary.
/// </summary>
static class TaskEvidence
{
    private const string Header = "task,condition,seed,metric,seconds";

    private sealed record Condition(string Id, string Name, bool Scarce, bool UsesTeacher, NamedLoss? Loss);

    public static void Run(IReadOnlyList<ITaskSample> samples, IReadOnlyCollection<string>? onlyTasks, string dataDir, string outDir,
        int seeds, double fraction, int threads, bool resume, string commandLine)
    {
        Directory.CreateDirectory(outDir);
        var log = Path.Combine(outDir, "tasks-results.csv");
        var done = resume && File.Exists(log)
            ? File.ReadAllLines(log).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToList()
            : [];
        if (!resume || !File.Exists(log))
        {
            // A previous log with results is kept under a new name, never overwritten.
            if (File.Exists(log) && File.ReadLines(log).Skip(1).Any(l => l.Length > 0))
            {
                var previous = Path.ChangeExtension(log, $".previous-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv");
                File.Move(log, previous);
                Console.WriteLine($"Kept the previous results as {previous} (use --resume to continue them).");
            }
            File.WriteAllText(log, Header + "\n");
        }

        var summary = new StringBuilder();
        summary.AppendLine($"# Binary, regression and ranking students: {seeds} seeds");
        summary.AppendLine();
        summary.AppendLine($"Command: `{commandLine}`. Test metric, mean ± sample sd over seeds 1–{seeds}; *vs scratch*: the distilled student's mean minus "
            + "the scratch student's of the same labels, signed so that + is better; gap closed = (distilled − scratch) / (teacher − scratch), shown only "
            + $"where the teacher beats that scratch student; {fraction:P0} labels: a seeded {fraction:P0} of the training rows (ranking: of the groups) keep their label, "
            + "the scratch student trains on those alone, the distilled ones on every row.");
        foreach (var sample in samples)
            foreach (var name in sample.SuiteTasks.Where(t => onlyTasks is null || onlyTasks.Contains(t)))
            {
                var task = TaskFolder.Open(Path.Combine(dataDir, name));
                var table = RunTask(sample, task, outDir, log, done, seeds, fraction, threads, commandLine);
                summary.AppendLine();
                summary.Append(table);
            }
        Write(Path.Combine(outDir, "tasks-summary.md"), summary.ToString());
        Console.WriteLine($"Written {Path.Combine(outDir, "tasks-summary.md")} and the per-task tables tasks-<task>.md; every fit in {log}.");
    }

    private static string RunTask(ITaskSample sample, TaskFolder task, string outDir, string log, List<string[]> done,
        int seeds, double fraction, int threads, string commandLine)
    {
        var conditions = new List<Condition>();
        foreach (bool scarce in new[] { false, true })
        {
            string suffix = scarce ? "-scarce" : "";
            conditions.Add(new($"scratch{suffix}", "scratch", scarce, false, null));
            conditions.Add(new($"default{suffix}", "distilled, default loss", scarce, true, null));
            for (int i = 0; i < sample.Losses.Count; i++)
                conditions.Add(new($"loss{i + 1}{suffix}", $"distilled, {sample.Losses[i].Name}", scarce, true, sample.Losses[i]));
        }

        var ml = new MLContext(seed: 0);
        var loader = sample.Loader(ml, task);
        var train = loader.Load(task.Csv("train"));
        var test = ml.Data.Cache(loader.Load(task.Csv("test")));
        var watch = Stopwatch.StartNew();
        var teachers = sample.Distill(ml, task).Fit(train);
        double teacher = sample.TeacherMetric(ml, task, teachers.Transform(test));
        // The teachers run once per training file, here, outside the timed fits; every student of that file reads the
        // cached columns.
        var fullWithTeachers = WithTeachers(ml, teachers, train);
        Console.WriteLine($"{task.Name} ({task.Kind}): teacher {sample.MetricName} {teacher:F4} on the test split ({watch.Elapsed.TotalSeconds:F0} s for the teachers' passes over test and train)");

        var results = new Dictionary<string, List<(double Metric, double Seconds)>>();
        foreach (var c in conditions) results[c.Id] = [];
        foreach (var row in done.Where(r => r[0] == task.Name))
            results[row[1]].Add((double.Parse(row[3], CultureInfo.InvariantCulture), double.Parse(row[4], CultureInfo.InvariantCulture)));

        var scratchDir = Path.Combine(outDir, "tasks-data");
        Directory.CreateDirectory(scratchDir);
        for (int seed = 1; seed <= seeds; seed++)
        {
            var masked = Path.Combine(scratchDir, $"{task.Name}-seed{seed}-masked.csv");
            var labelled = Path.Combine(scratchDir, $"{task.Name}-seed{seed}-labelled.csv");
            int labelledRows = LabelMasking.Write(task, task.Csv("train"), fraction, seed, masked, labelled);
            var scarceWithTeachers = WithTeachers(ml, teachers, loader.Load(masked));
            var scarceScratch = loader.Load(labelled);
            foreach (var c in conditions)
            {
                if (done.Any(r => r[0] == task.Name && r[1] == c.Id && r[2] == seed.ToString(CultureInfo.InvariantCulture)))
                    continue;
                var data = c.Scarce ? (c.UsesTeacher ? scarceWithTeachers : scarceScratch) : fullWithTeachers;
                using var loss = c.Loss?.Make();
                var options = new StudentOptions
                {
                    HiddenLayers = task.StudentHiddenLayers,
                    Seed = seed,
                    NumberOfThreads = threads,
                    Loss = loss,
                    TeacherColumnName = c.UsesTeacher && c.Loss?.TeacherColumns is null ? "Teacher" : null,
                    TeacherColumnNames = c.UsesTeacher ? c.Loss?.TeacherColumns : null,
                };
                var fit = Stopwatch.StartNew();
                var model = sample.Trainer(ml, options).Fit(data);
                double seconds = fit.Elapsed.TotalSeconds;
                double metric = sample.Metric(ml, model.Transform(test));
                (model as IDisposable)?.Dispose();
                results[c.Id].Add((metric, seconds));
                File.AppendAllText(log, string.Create(CultureInfo.InvariantCulture, $"{task.Name},{c.Id},{seed},{metric:R},{seconds:F2}\n"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  seed {seed} {(c.Scarce ? $"{labelledRows} labelled rows" : "all labels"),-18} {c.Name,-42} {sample.MetricName} {metric:F4} ({seconds:F0} s)"));
            }
        }

        var sb = new StringBuilder();
        sb.AppendLine($"## {task.Name} ({task.Kind}): {sample.MetricName}");
        sb.AppendLine();
        var used = task.Teachers.Where(t => t == task.Teacher || t.Role is not null);
        sb.AppendLine($"{task.Description}. Teacher: {string.Join("; ", used.Select(t => $"{Path.GetFileName(t.Path)}: {t.Architecture}"))}. "
            + $"Student: MLP [{string.Join(", ", task.StudentHiddenLayers)}], default options. Command: `{commandLine}`.");
        sb.AppendLine();
        sb.AppendLine($"| labels | student | {sample.MetricName} (mean ± sd) | vs scratch (+ = better) | gap closed | s per fit |");
        sb.AppendLine("| --- | --- | ---: | ---: | ---: | ---: |");
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| – | teacher | {teacher:F4} | | | |"));
        foreach (var c in conditions)
        {
            var runs = results[c.Id];
            if (runs.Count == 0) continue;
            var baseline = results[c.Scarce ? "scratch-scarce" : "scratch"];
            double mean = runs.Average(r => r.Metric), scratch = baseline.Count > 0 ? baseline.Average(r => r.Metric) : double.NaN;
            double sign = sample.HigherIsBetter ? 1 : -1;
            bool compared = c.UsesTeacher && baseline.Count > 0;
            string versus = compared ? string.Create(CultureInfo.InvariantCulture, $"{sign * (mean - scratch):+0.0000;−0.0000;0.0000}") : "";
            string gap = !compared ? ""
                : sign * (teacher - scratch) > 0 ? string.Create(CultureInfo.InvariantCulture, $"{Math.Round((mean - scratch) / (teacher - scratch) * 100) + 0.0:0;−0;0} %")
                : "– (teacher not better)";
            string labels = c.Scarce ? $"{fraction:P0}" : "100 %";
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {labels} | {c.Name} | {mean:F4} ± {Sd(runs.Select(r => r.Metric).ToArray()):F4}{(runs.Count < seeds ? $" ({runs.Count})" : "")} | {versus} | {gap} | {runs.Average(r => r.Seconds):F0} |"));
        }
        var text = sb.ToString();
        Write(Path.Combine(outDir, $"tasks-{task.Name}.md"), text);
        Console.WriteLine(text);
        return text;
    }

    /// <summary>The data with the teachers' columns, cached in memory and filled now (the teachers run here once).</summary>
    private static IDataView WithTeachers(MLContext ml, ITransformer teachers, IDataView data)
    {
        var withTeachers = teachers.Transform(data);
        return ml.Data.Cache(withTeachers, withTeachers.Schema.Where(c => !c.IsHidden).Select(c => c.Name).ToArray());
    }

    private static double Sd(double[] values)
    {
        if (values.Length < 2) return 0;
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    }

    private static void Write(string path, string text)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
