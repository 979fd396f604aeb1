using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Reporting;
using MLNet.Distillation.Students;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Samples.Text;

/// <summary>
/// The evidence mode (docs/results.md, "Text students"): on the whole corpus, per seed, the same student from scratch
/// and distilled with 100 % and 5 % of the labels, an ML.NET bag-of-words baseline on the same labels, and once the
/// size and single-row latency of the student against the teacher.
/// </summary>
internal static class TextEvidence
{
    private const int Epochs = 30, MinimumSteps = 1500, BatchSize = 64;

    private sealed record Result(string Setting, string Model, int Seed, double Accuracy, double Agreement, double Seconds);

    public static int Run(FortunesText fortunes, string dataDir, string outputDir, int seeds)
    {
        Directory.CreateDirectory(outputDir);
        var results = new List<Result>();
        var load = new MLContext(seed: 0);
        var trainRows = load.Data.CreateEnumerable<FortuneRow>(FortunesText.Load(load, dataDir, "train"), reuseRowObject: false).ToArray();
        var testRows = load.Data.CreateEnumerable<FortuneRow>(FortunesText.Load(load, dataDir, "test"), reuseRowObject: false).ToArray();
        int labelled = (int)Math.Round(trainRows.Length * 0.05);
        Console.WriteLine($"Fortunes corpus ({dataDir}): {trainRows.Length} train rows ({labelled} labelled in the 5 % setting), {testRows.Length} test rows; {seeds} seed(s).");
        Console.WriteLine($"Students: {Epochs} epochs and at least {MinimumSteps} steps of {BatchSize} rows, AdamW + the default schedule, no hidden layer.");
        var tokenizer = fortunes.Tokenizer();
        // The teacher runs once over the training texts: later fits read its soft labels from this cache.
        var cachePath = Path.Combine(outputDir, "text-teacher-soft-labels.idv");
        File.Delete(cachePath);

        var students = new List<(string Name, Func<StudentArchitecture> Architecture)>
        {
            ("embedding bag (32-wide)", () => StudentArchitecture.EmbeddingBag(new EmbeddingBagStudentOptions { MaxTokens = 64, EmbeddingDimension = 32 })),
        };

        DistillationReport? report = null;
        for (int seed = 1; seed <= seeds; seed++)
        {
            var ml = new MLContext(seed: seed);
            var order = Enumerable.Range(0, trainRows.Length).ToArray();
            new Random(seed).Shuffle(order);
            var chosen = order.Take(labelled).ToHashSet();   // the seed's 5 % of labelled rows
            var all = ml.Data.LoadFromEnumerable(trainRows);
            var few = ml.Data.LoadFromEnumerable(trainRows.Select((r, i) => chosen.Contains(i) ? r : new FortuneRow { Text = r.Text, Label = "" }).ToArray());
            var onlyLabelled = ml.Data.LoadFromEnumerable(trainRows.Where((_, i) => chosen.Contains(i)).ToArray());
            var test = ml.Data.LoadFromEnumerable(testRows);
            var labelToKey = fortunes.LabelToKey(ml);
            var teacherOnTest = labelToKey.Append(fortunes.Teacher(ml, tokenizer)).Fit(test).Transform(test);
            var teacherTop = TopClasses.Of(teacherOnTest, "TeacherLogits");
            var labels = QuickRun.Labels(teacherOnTest);
            if (seed == 1) results.Add(new("teacher", "Transformer encoder over its own WordPiece ids (tools/make_text_teacher.py)", 1, QuickRun.Accuracy(teacherTop, labels), 1, double.NaN));

            void Evaluate(string setting, string model, ITransformer fitted, Stopwatch watch)
            {
                var predictions = fitted.Transform(test);
                var accuracy = ml.MulticlassClassification.Evaluate(predictions).MicroAccuracy;
                var agreement = QuickRun.Agreement(TopClasses.Of(predictions, "Score"), teacherTop);
                results.Add(new(setting, model, seed, accuracy, agreement, watch.Elapsed.TotalSeconds));
                Console.WriteLine($"  seed {seed}  {setting,-11} {model,-62} accuracy {accuracy:P2}  agreement {agreement:P2}  ({watch.Elapsed.TotalSeconds:F0} s)");
            }

            // The ML.NET baseline: FeaturizeText's word and character n-grams + SDCA maximum entropy, on the same labels.
            foreach (var (setting, data) in new[] { ("100% labels", all), ("5% labels", onlyLabelled) })
            {
                var watch = Stopwatch.StartNew();
                var bow = labelToKey.Append(ml.Transforms.Text.FeaturizeText("BagOfWords", "Text"))
                    .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(featureColumnName: "BagOfWords")).Fit(data);
                Evaluate(setting, "ML.NET bag of words: FeaturizeText + SdcaMaximumEntropy", bow, watch);
            }

            foreach (var (name, architecture) in students)
            {
                StudentOptions Options(string? teacher, DistillationLoss? loss) => new()
                {
                    Architecture = architecture(),
                    HiddenLayers = [],
                    TeacherColumnName = teacher,
                    Loss = loss,
                    Epochs = Epochs,
                    MinimumSteps = MinimumSteps,   // the 5 % scratch fits (154 rows) make as many steps as the others
                    BatchSize = BatchSize,
                    Seed = seed,
                };
                ITransformer Fit(IDataView data, string? teacher, DistillationLoss? loss)
                {
                    var pipeline = teacher is null
                        ? labelToKey.Append(FortunesText.StudentTokens(ml))
                        : labelToKey.Append(ml.Transforms.Text.TokenizeForTeacher(tokenizer, "Text", fortunes.MaxLength))
                            .Append(ml.Transforms.Distill(WithCache(fortunes.TeacherOptions(), cachePath)))
                            .Append(FortunesText.StudentTokens(ml));
                    return pipeline.Append(ml.MulticlassClassification.Trainers.Student(Options(teacher, loss))).Fit(data);
                }

                var w = Stopwatch.StartNew();
                Evaluate("100% labels", $"{name}, scratch", Fit(all, null, null), w);
                w.Restart();
                using (var hinton = DistillationLoss.Hinton(temperature: 4, alpha: 0.9))
                {
                    var distilled = Fit(all, "TeacherLogits", hinton);
                    Evaluate("100% labels", $"{name}, distilled (Hinton T=4 α=0.9)", distilled, w);
                    if (seed == 1 && report is null)
                        report = DistillationReport.Create(ml, fortunes.TeacherPath, distilled, test, new DistillationReportOptions { Teacher = fortunes.TeacherOptions() });
                }
                w.Restart();
                Evaluate("5% labels", $"{name}, scratch on the labelled rows", Fit(onlyLabelled, null, null), w);
                w.Restart();
                Evaluate("5% labels", $"{name}, distilled (teacher labels the rest)", Fit(few, "TeacherLogits", null), w);
            }
        }

        var markdown = Table(results, seeds, report!);
        Console.WriteLine();
        Console.WriteLine(markdown);
        var path = Path.Combine(outputDir, "text-evidence.md");
        File.WriteAllText(path + ".tmp", markdown);
        File.Move(path + ".tmp", path, overwrite: true);
        File.Delete(cachePath);
        Console.WriteLine($"Wrote {path}.");
        return 0;
    }

    private static DistillOptions WithCache(DistillOptions options, string cachePath)
    {
        options.CachePath = cachePath;
        return options;
    }

    private static string Table(List<Result> results, int seeds, DistillationReport report)
    {
        static string Pct(IEnumerable<double> v)
        {
            var a = v.ToArray();
            double mean = a.Average();
            double sd = a.Length > 1 ? Math.Sqrt(a.Sum(x => (x - mean) * (x - mean)) / (a.Length - 1)) : 0;
            return a.Length > 1 ? $"{mean * 100:F2} ± {sd * 100:F2}" : $"{mean * 100:F2}";
        }
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"| setting | model | test accuracy (mean ± sd, {seeds} seed{(seeds == 1 ? "" : "s")}) | agreement with teacher | wall time per run |");
        sb.AppendLine("| --- | --- | ---: | ---: | ---: |");
        foreach (var group in results.GroupBy(r => (r.Setting, r.Model)))
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key.Setting} | {group.Key.Model} | {Pct(group.Select(r => r.Accuracy))} | {group.Average(r => r.Agreement) * 100:F2} | {(double.IsNaN(group.First().Seconds) ? "" : $"{group.Average(r => r.Seconds):F0} s")} |");
        sb.AppendLine();
        var t = report.Teacher;
        var s = report.Student;
        string P50(ModelSummary m, string runtime) => m.Latency.FirstOrDefault(l => l.Runtime == runtime) is { } l ? $"{l.P50Milliseconds:F3} ms" : "n/a";
        sb.AppendLine("| model | parameters | file | single-row p50, ONNX Runtime (1 thread) | single-row p50, ML.NET |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| teacher ({t.Description}) | {t.ParameterCount:N0} | {t.FileBytes / 1024.0:F0} KiB | {P50(t, DistillationReport.OnnxRuntime)} | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| student ({s.Description}) | {s.ParameterCount:N0} | {s.FileBytes / 1024.0:F0} KiB | {P50(s, DistillationReport.OnnxRuntime)} | {P50(s, DistillationReport.MlNet)} |");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Size and latency: seed 1's distilled (100 % labels) student against the teacher, DistillationReport on {report.Machine}.");
        return sb.ToString();
    }
}
