using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Evaluation;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Samples.Representations;

/// <summary>
/// The evidence of issue 15 for representation and embedding distillation, per task folder of suite-data/embeddings and
/// seed: (1) classifier students — scratch, logit KD, and logit KD plus each representation loss on the teacher's
/// embedding — with every training label and with a seeded fraction of them (scratch: the labelled rows alone; the
/// others: every row, the rest unlabelled); (2) embedding students — EmbeddingCosine, EmbeddingContrastive,
/// EmbeddingTriplet — against a seeded random projection of the standardised features, scored by neighbour agreement
/// with the teacher, k-NN accuracy and cosine to the teacher. One CSV line per fit (appended as it ends; --resume skips
/// fits already there), one Markdown file of tables.
/// </summary>
static class RepresentationEvidence
{
    private const string Header = "task,condition,labels,seed,accuracy,agreement,cosine,seconds";

    public sealed record Settings(string DataDir, string OutDir, string[] Tasks, int Seeds, double Fraction, int Threads, bool Resume,
        IReadOnlyDictionary<string, int> Epochs, string[]? Conditions, int ReferenceRows, int QueryRows, string CommandLine);

    private sealed record Row(string Task, string Condition, string Labels, int Seed, double Accuracy, double Agreement, double Cosine, double Seconds);

    public static void Run(Settings s)
    {
        Directory.CreateDirectory(s.OutDir);
        var log = Path.Combine(s.OutDir, "representations.csv");
        var rows = s.Resume && File.Exists(log)
            ? File.ReadAllLines(log).Skip(1).Where(l => l.Length > 0).Select(Parse).ToList()
            : [];
        if (!s.Resume || !File.Exists(log)) File.WriteAllText(log, Header + "\n");
        var descriptions = new List<string>();
        foreach (var name in s.Tasks)
        {
            var task = new EmbeddingTask(Path.Combine(s.DataDir, name));
            descriptions.Add($"{task.Description}; teacher pass over the splits {task.TeacherSeconds:F0} s");
            Console.WriteLine(descriptions[^1]);
            RunTask(task, s, rows, log);
        }
        var md = Path.Combine(s.OutDir, "representations.md");
        var tmp = md + ".tmp";
        File.WriteAllText(tmp, Tables(rows, s, descriptions));
        File.Move(tmp, md, overwrite: true);
        Console.WriteLine($"Written {md}; every fit in {log}.");
    }

    private static bool Wanted(Settings s, string id) => s.Conditions is null || s.Conditions.Contains(id);

    private static void RunTask(EmbeddingTask task, Settings s, List<Row> rows, string log)
    {
        int? epochs = s.Epochs.TryGetValue(task.Name, out var e) ? e : null;
        string scarce = $"{s.Fraction * 100:G3} %";
        for (int seed = 1; seed <= s.Seeds; seed++)
        {
            IDataView? withUnlabelled = null, labelledOnly = null;
            foreach (var labels in new[] { "full", scarce })
                foreach (var c in ClassifierCondition.All.Where(c => Wanted(s, c.Id)))
                {
                    if (rows.Any(r => r.Task == task.Name && r.Condition == c.Id && r.Labels == labels && r.Seed == seed)) continue;
                    IDataView? data = null;
                    int? fitEpochs = epochs;
                    if (labels != "full")
                    {
                        if (c.Loss is null)
                        {
                            data = labelledOnly ??= task.LabelScarce(s.Fraction, seed, keepUnlabelled: false);
                            // The same number of steps as the students that see every row: the epochs scaled by the row ratio.
                            if (epochs is int full)
                                fitEpochs = (int)Math.Ceiling(full * Math.Ceiling(task.TrainRows / 128.0) / Math.Ceiling(EmbeddingTask.LabelledRows(task.TrainRows, s.Fraction) / 128.0));
                        }
                        else data = withUnlabelled ??= task.LabelScarce(s.Fraction, seed, keepUnlabelled: true);
                    }
                    var options = new StudentOptions
                    {
                        Seed = seed,
                        NumberOfThreads = s.Threads,
                        TeacherColumnName = c.Loss is null ? null : EmbeddingTask.Logits,
                        Loss = c.Loss?.Invoke(),
                    };
                    if (fitEpochs is int n) options.Epochs = n;
                    var (accuracy, agreement, seconds) = task.FitClassifier(options, data);
                    Record(rows, log, new Row(task.Name, c.Id, labels, seed, accuracy, agreement, double.NaN, seconds));
                }

            if (!EmbeddingCondition.All.Any(c => Wanted(s, c.Id)) && !Wanted(s, "random-projection")) continue;
            var reference = task.Context.Data.TakeRows(task.Train, s.ReferenceRows);
            var queries = task.Context.Data.TakeRows(task.Test, s.QueryRows);
            foreach (var c in EmbeddingCondition.All.Where(c => Wanted(s, c.Id)))
            {
                if (rows.Any(r => r.Task == task.Name && r.Condition == c.Id && r.Seed == seed)) continue;
                var options = new StudentOptions { Seed = seed, NumberOfThreads = s.Threads, Loss = c.Loss?.Invoke() };
                if (epochs is int n) options.Epochs = n;
                var (student, seconds) = task.FitEmbedding(options);
                using (student)
                {
                    var m = Score(task, student.Transform(reference), student.Transform(queries), "Embedding");
                    Record(rows, log, new Row(task.Name, c.Id, "full", seed, m.StudentKnnAccuracy, m.NeighbourAgreement, m.MeanCosineToTeacher, seconds));
                    if (!rows.Any(r => r.Task == task.Name && r.Condition == "teacher"))
                        Record(rows, log, new Row(task.Name, "teacher", "full", 0, m.TeacherKnnAccuracy, 1, 1, 0));
                }
            }
            if (Wanted(s, "random-projection") && !rows.Any(r => r.Task == task.Name && r.Condition == "random-projection" && r.Seed == seed))
            {
                var refFeatures = EmbeddingTask.Vectors(reference, "Features");
                var (rp, qp) = RandomProjection.Apply(refFeatures, EmbeddingTask.Vectors(queries, "Features"), task.EmbeddingWidth, seed);
                var m = Evaluate(task, rp, reference, qp, queries);
                // The projection is not in the teacher's coordinates: its cosine to the teacher means nothing (NaN).
                Record(rows, log, new Row(task.Name, "random-projection", "full", seed, m.StudentKnnAccuracy, m.NeighbourAgreement, double.NaN, 0));
            }
        }
    }

    private static EmbeddingMetrics Score(EmbeddingTask task, IDataView reference, IDataView queries, string column)
        => Evaluate(task, EmbeddingTask.Vectors(reference, column), reference, EmbeddingTask.Vectors(queries, column), queries);

    /// <summary>EmbeddingEvaluation.Evaluate on in-memory rows: the candidate embedding, the teacher's and the label (Single).</summary>
    private static EmbeddingMetrics Evaluate(EmbeddingTask task, float[][] referenceEmbedding, IDataView reference, float[][] queryEmbedding, IDataView queries)
    {
        IDataView View(float[][] embedding, IDataView source)
        {
            var teacher = EmbeddingTask.Vectors(source, EmbeddingTask.Embedding);
            var labels = EmbeddingTask.Labels(source);
            var schema = SchemaDefinition.Create(typeof(ScoredRow));
            schema[nameof(ScoredRow.Embedding)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, embedding[0].Length);
            schema[nameof(ScoredRow.TeacherEmbedding)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, teacher[0].Length);
            return task.Context.Data.LoadFromEnumerable(
                embedding.Select((v, i) => new ScoredRow { Embedding = v, TeacherEmbedding = teacher[i], Label = labels[i] < 0 ? float.NaN : labels[i] }).ToList(), schema);
        }
        return EmbeddingEvaluation.Evaluate(View(referenceEmbedding, reference), View(queryEmbedding, queries), EmbeddingTask.Embedding, "Embedding", "Label", k: 10);
    }

    private static void Record(List<Row> rows, string log, Row row)
    {
        rows.Add(row);
        var inv = CultureInfo.InvariantCulture;
        File.AppendAllText(log, string.Join(',', row.Task, row.Condition, row.Labels, row.Seed.ToString(inv), row.Accuracy.ToString("R", inv),
            row.Agreement.ToString("R", inv), row.Cosine.ToString("R", inv), row.Seconds.ToString("F2", inv)) + "\n");
        Console.WriteLine($"{row.Task} {row.Condition} [{row.Labels}] seed {row.Seed}: {row.Accuracy:P2}, agreement {row.Agreement:P2}"
            + (double.IsNaN(row.Cosine) ? "" : $", cosine {row.Cosine:F3}") + $" ({row.Seconds:F1} s)");
    }

    private static Row Parse(string line)
    {
        var p = line.Split(',');
        var inv = CultureInfo.InvariantCulture;
        if (p.Length != 8) throw new InvalidDataException($"representations.csv line '{line}' has {p.Length} fields; expected 8 ({Header}). Delete the file or run without --resume.");
        return new Row(p[0], p[1], p[2], int.Parse(p[3], inv), double.Parse(p[4], inv), double.Parse(p[5], inv), double.Parse(p[6], inv), double.Parse(p[7], inv));
    }

    private static (double Mean, double Sd, int N) Stats(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length == 0) return (double.NaN, double.NaN, 0);
        double mean = v.Average();
        double sd = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
        return (mean, sd, v.Length);
    }

    private static string Cell((double Mean, double Sd, int N) s, int seeds, double scale = 100)
        => s.N == 0 ? "—" : $"{s.Mean * scale:F2} ± {s.Sd * scale:F2}" + (s.N < seeds ? $" ({s.N})" : "");

    private static string Tables(List<Row> rows, Settings s, List<string> descriptions)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Representation and embedding distillation: evidence");
        sb.AppendLine();
        sb.AppendLine($"Command: `{s.CommandLine}`.");
        sb.AppendLine();
        foreach (var d in descriptions) sb.AppendLine($"- {d}");
        sb.AppendLine();
        foreach (var task in s.Tasks)
        {
            var mine = rows.Where(r => r.Task == task).ToList();
            var labelSets = mine.Where(r => ClassifierCondition.All.Any(c => c.Id == r.Condition)).Select(r => r.Labels).Distinct().ToList();
            if (labelSets.Count > 0)
            {
                sb.AppendLine($"## {task}: classifier students");
                sb.AppendLine();
                sb.AppendLine("Test accuracy, %, mean ± sample sd over seeds (a number in brackets: fewer seeds); Δ KD = mean minus logit KD's mean with the same labels; agreement with the teacher's top class, %; fit seconds (mean).");
                sb.AppendLine();
                sb.AppendLine("| condition | " + string.Join(" | ", labelSets.Select(l => $"{l} labels: accuracy | Δ KD | agreement | s")) + " |");
                sb.AppendLine("| --- |" + string.Concat(labelSets.Select(_ => " ---: | ---: | ---: | ---: |")));
                foreach (var c in ClassifierCondition.All)
                {
                    if (!mine.Any(r => r.Condition == c.Id)) continue;
                    sb.Append($"| {c.Name} |");
                    foreach (var l in labelSets)
                    {
                        var acc = Stats(mine.Where(r => r.Condition == c.Id && r.Labels == l).Select(r => r.Accuracy));
                        var kd = Stats(mine.Where(r => r.Condition == "kd" && r.Labels == l).Select(r => r.Accuracy));
                        var agr = Stats(mine.Where(r => r.Condition == c.Id && r.Labels == l).Select(r => r.Agreement));
                        var sec = Stats(mine.Where(r => r.Condition == c.Id && r.Labels == l).Select(r => r.Seconds));
                        string delta = acc.N == 0 || kd.N == 0 || c.Id == "kd" ? "—" : ((acc.Mean - kd.Mean) * 100).ToString("+0.00;-0.00;0.00", inv);
                        sb.Append($" {Cell(acc, s.Seeds)} | {delta} | {(agr.N == 0 ? "—" : (agr.Mean * 100).ToString("F1", inv))} | {(sec.N == 0 ? "—" : sec.Mean.ToString("F0", inv))} |");
                    }
                    sb.AppendLine();
                }
                sb.AppendLine();
            }
            var emb = new[] { "teacher" }.Concat(EmbeddingCondition.All.Select(c => c.Id)).Append("random-projection").Where(id => mine.Any(r => r.Condition == id)).ToList();
            if (emb.Count > 0)
            {
                sb.AppendLine($"## {task}: embedding students");
                sb.AppendLine();
                sb.AppendLine($"The first {s.QueryRows:N0} test rows searched against the first {s.ReferenceRows:N0} training rows by cosine similarity, k = 10; mean ± sample sd over seeds, %: "
                    + "neighbour agreement = |student's 10 nearest ∩ teacher's 10 nearest| / 10; k-NN accuracy = majority vote of the 10 nearest training labels; cosine = mean cosine between the student's and the teacher's embedding of a test row.");
                sb.AppendLine();
                sb.AppendLine("| embedding | neighbour agreement | k-NN accuracy | cosine to teacher | fit s |");
                sb.AppendLine("| --- | ---: | ---: | ---: | ---: |");
                foreach (var id in emb)
                {
                    var r = mine.Where(x => x.Condition == id).ToList();
                    string name = id switch
                    {
                        "teacher" => "the teacher's own embedding",
                        "random-projection" => "random projection of the standardised features (no training)",
                        _ => "student: " + EmbeddingCondition.All.First(c => c.Id == id).Name,
                    };
                    int seeds = id == "teacher" ? 1 : s.Seeds;
                    var cos = Stats(r.Select(x => x.Cosine).Where(x => !double.IsNaN(x)));
                    var sec = Stats(r.Select(x => x.Seconds));
                    sb.AppendLine($"| {name} | {Cell(Stats(r.Select(x => x.Agreement)), seeds)} | {Cell(Stats(r.Select(x => x.Accuracy)), seeds)} | {(cos.N == 0 ? "—" : Cell(cos, seeds, 1))} | {(id is "teacher" or "random-projection" ? "—" : sec.Mean.ToString("F0", inv))} |");
                }
                sb.AppendLine();
            }
        }
        return sb.ToString();
    }

    private sealed class ScoredRow
    {
        public float[] Embedding { get; set; } = [];
        public float[] TeacherEmbedding { get; set; } = [];
        public float Label { get; set; }
    }
}
