using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Samples;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;

/// <summary>
/// The <c>data-strategies</c> command: each <see cref="DataStrategy"/> against the fair baselines on a suite task — the
/// same student, optimiser, schedule and epochs, scratch and plain KD on all rows — with the compute each saved.
/// Domains are made honestly from the features: the quartile of a row's mean feature value ("brightness" for the
/// satellite task's pixel values), cut at the training rows' quartiles. Writes data-strategies.csv (one line per fit) and
/// data-strategies.md.
/// </summary>
static class DataStrategyEvidence
{
    /// <summary>Epochs of every fit (no step floor: a fit on fewer rows makes fewer steps, as in the pruning paper).</summary>
    private const int Epochs = 60;

    private sealed record Fit(string Task, string Block, string Condition, int Seed, double Accuracy, int RowsUsed, long Steps, int TeacherRows, double Seconds, string Note);

    public static void Run(SuiteArguments args, string[] commandLine)
    {
        Directory.CreateDirectory(args.OutputDirectory);
        var csv = Path.Combine(args.OutputDirectory, "data-strategies.csv");
        var fits = new List<Fit>();
        var md = new StringBuilder();
        md.AppendLine("# Data strategies");
        md.AppendLine();
        md.AppendLine($"Command: `dotnet Evidence.dll {string.Join(' ', commandLine)}`; {args.Seeds} seeds, test accuracy % mean ± sample sd; every fit "
            + $"`Epochs = {Epochs}, MinimumSteps = 0`, the task's student, AdamW + StableDecay, batch 128. *Rows* = training rows the student "
            + "learnt from, *steps* = optimisation steps, *teacher rows* = rows whose teacher outputs it learnt from (the teacher pass scored every training row in all conditions).");
        foreach (var directory in args.TaskDirectories)
        {
            var task = new SuiteTask(directory, args.Threads);
            Console.WriteLine($"{task.Description}\n  teacher: {task.TeacherDescription}");
            var run = new Runner(task, args, fits, csv);
            run.All();
            md.AppendLine();
            md.AppendLine($"## {task.Name}");
            md.AppendLine();
            md.AppendLine($"{task.Description}. Teacher: {task.TeacherDescription}.");
            md.Append(Table(fits.Where(f => f.Task == task.Name).ToList()));
        }
        AtomicText.Write(Path.Combine(args.OutputDirectory, "data-strategies.md"), md.ToString());
        Console.WriteLine(md);
    }

    private static string Table(List<Fit> fits)
    {
        var sb = new StringBuilder();
        foreach (var block in fits.Select(f => f.Block).Distinct())
        {
            var conditions = fits.Where(f => f.Block == block).Select(f => f.Condition).Distinct().ToList();
            var first = Mean(fits.Where(f => f.Block == block && f.Condition == conditions[0]));
            sb.AppendLine();
            sb.AppendLine($"### {block}");
            sb.AppendLine();
            sb.AppendLine($"| condition | test accuracy | Δ vs {conditions[0]} | rows | steps | teacher rows | s per fit | note |");
            sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
            foreach (var c in conditions)
            {
                var runs = fits.Where(f => f.Block == block && f.Condition == c).ToList();
                double mean = Mean(runs), sd = runs.Count > 1 ? Math.Sqrt(runs.Sum(r => Math.Pow(r.Accuracy - mean, 2)) / (runs.Count - 1)) : 0;
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {c} | {mean * 100:F2} ± {sd * 100:F2} | {(mean - first) * 100:+0.00;-0.00;0.00} | {runs.Average(r => r.RowsUsed):N0} | {runs.Average(r => r.Steps):N0} | {runs.Average(r => r.TeacherRows):N0} | {runs.Average(r => r.Seconds):F1} | {runs[0].Note} |"));
            }
        }
        return sb.ToString();
    }

    private static double Mean(IEnumerable<Fit> runs) => runs.Select(r => r.Accuracy).DefaultIfEmpty(double.NaN).Average();

    /// <summary>The fits of one task.</summary>
    private sealed class Runner(SuiteTask task, SuiteArguments args, List<Fit> fits, string csv)
    {
        private readonly MLContext _ml = new(seed: 1);
        private float[]? _quartiles;

        public void All()
        {
            _quartiles = Quartiles(task.Train);
            var blocks = args.List("blocks", ["prune", "reference", "domains", "ood"]);
            for (int seed = 1; seed <= args.Seeds; seed++)
            {
                if (blocks.Contains("prune")) Pruning(seed);
                if (blocks.Contains("reference")) Reference(seed);
                if (blocks.Contains("domains")) Domains(seed);
                if (blocks.Contains("ood")) OutOfDomain(seed);
            }
        }

        private const string AllRowsKd = "KD Hinton(1, 0.5), all rows";
        private const string PruneBlock = "KD on a pruned subset: 30 % of the training rows";
        private const string ReferenceBlock = "MiniPLM-style selection: 50 % of the training rows";
        private const string DomainBlock = "DDK-style domain re-weighting (4 brightness domains), validation rows measure the gap";
        private const string OodBlock = "Out-of-domain unlabelled rows: 10 % of the labels, brightest quartile unlabelled and flagged, test on the other quartiles";

        private void Pruning(int seed)
        {
            Add(PruneBlock, AllRowsKd, seed, Options(seed, DistillationLoss.Hinton(1, 0.5)), task.Train);
            Add(PruneBlock, "scratch, all rows", seed, Options(seed, null, teacher: false), task.Train);
            Add(PruneBlock, "scratch, random 30 %", seed, Options(seed, null, DataStrategy.Prune(0.3, fullDataDistillationWeight: null), teacher: false), task.Train);
            foreach (var (criterion, hardest, name) in new[] { (PruningCriterion.Random, true, "random"), (PruningCriterion.TeacherEntropy, true, "entropy, hardest"),
                         (PruningCriterion.TeacherMargin, true, "margin, hardest"), (PruningCriterion.TeacherEntropy, false, "entropy, easiest") })
                Add(PruneBlock, $"KD on 30 %, {name}, α(0.3) = 0.85", seed, Options(seed, null, DataStrategy.Prune(0.3, criterion, hardest)), task.Train);
            Add(PruneBlock, "KD on 30 %, random, α untied = 0.5", seed, Options(seed, DistillationLoss.Hinton(1, 0.5), DataStrategy.Prune(0.3, fullDataDistillationWeight: null)), task.Train);
        }

        private void Reference(int seed)
        {
            // The reference model: ML.NET's L-BFGS maximum entropy on a seeded 10 % of the training rows (min-max scaled).
            var watch = Stopwatch.StartNew();
            var sample = _ml.Data.TakeRows(_ml.Data.ShuffleRows(task.Train, seed: seed), task.TrainRows / 10);
            var reference = _ml.Transforms.NormalizeMinMax("ReferenceFeatures", "Features")
                .Append(_ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "ReferenceFeatures"))
                .Append(_ml.Transforms.CopyColumns("Reference", "Score"))
                .Fit(sample);
            var data = _ml.Data.Cache(reference.Transform(task.Train));
            var referenceAccuracy = SuiteCsv.Accuracy(TopClasses.Of(reference.Transform(task.Test), "Score"), SuiteCsv.Labels(task.Test));
            string note = string.Create(CultureInfo.InvariantCulture, $"reference: L-BFGS max-ent on {task.TrainRows / 10:N0} rows, test acc {referenceAccuracy * 100:F1} %, fit + scoring {watch.Elapsed.TotalSeconds:F1} s");
            if (fits.FirstOrDefault(f => f.Task == task.Name && f.Block == PruneBlock && f.Condition == AllRowsKd && f.Seed == seed) is { } same)
                Record(same with { Block = ReferenceBlock, Note = "the same fit as in the pruning block" });   // same options, same rows
            else Add(ReferenceBlock, AllRowsKd, seed, Options(seed, DistillationLoss.Hinton(1, 0.5)), data);
            Add(ReferenceBlock, "KD, random 50 %", seed, Options(seed, DistillationLoss.Hinton(1, 0.5), DataStrategy.Prune(0.5, fullDataDistillationWeight: null)), data);
            Add(ReferenceBlock, "KD, top 50 % by log p_T(y) − log p_R(y), label", seed, Options(seed, DistillationLoss.Hinton(1, 0.5), DataStrategy.ReferenceSelection("Reference", 0.5)), data, note: note);
            Add(ReferenceBlock, "KD, top 50 %, teacher's class", seed, Options(seed, DistillationLoss.Hinton(1, 0.5), DataStrategy.ReferenceSelection("Reference", 0.5, ReferenceScore.TeacherPrediction)), data, note: note);
        }

        private void Domains(int seed)
        {
            var train = WithDomains(task.Train);
            var validation = WithDomains(task.Validation);
            Add(DomainBlock, "KD Hinton(1, 0.5), validation for the best epoch", seed, Options(seed, DistillationLoss.Hinton(1, 0.5)), train, validation);
            Add(DomainBlock, "same + DomainReweighting(s = 0.5)", seed, Options(seed, DistillationLoss.Hinton(1, 0.5), DataStrategy.DomainReweighting("Domain")), train, validation);
        }

        private void OutOfDomain(int seed)
        {
            // 10 % of the labels; the brightest quartile keeps none (its few labelled rows are dropped) and is flagged.
            var scarce = WithDomains(task.LabelScarce(0.1, seed, keepUnlabelled: true));
            var withOod = _ml.Data.FilterRowsByColumn(scarce, "Keep", 0.5, 2);
            var inDomain = _ml.Data.FilterRowsByColumn(withOod, "DomainIndex", 0, 2.5);
            var labelledInDomain = _ml.Data.FilterRowsByMissingValues(inDomain, "Label");
            var test = _ml.Data.FilterRowsByColumn(WithDomains(task.Test), "DomainIndex", 0, 2.5);
            Add(OodBlock, "default KD, in-domain rows", seed, Options(seed, null), inDomain, test: test);
            Add(OodBlock, "scratch, labelled in-domain rows", seed, Options(seed, null, teacher: false), labelledInDomain, test: test);
            Add(OodBlock, "default KD, + out-of-domain rows, weight 1", seed, Options(seed, null), withOod, test: test);
            Add(OodBlock, "default KD, + out-of-domain rows, Huber weights", seed, Options(seed, null, DataStrategy.OutOfDomainWeighting("Ood")), withOod, test: test);
        }

        /// <summary>The options of every fit: the task's student, <see cref="Epochs"/> epochs, no step floor; the teacher column unless <paramref name="teacher"/> is false.</summary>
        private StudentOptions Options(int seed, DistillationLoss? loss, DataStrategy? strategy = null, bool teacher = true) => new()
        {
            Seed = seed, Epochs = Epochs, MinimumSteps = 0, HiddenLayers = task.Info.StudentHiddenLayers, NumberOfThreads = args.Threads, Loss = loss, DataStrategy = strategy,
            TeacherColumnName = teacher ? "TeacherLogits" : null,
        };

        private void Add(string block, string condition, int seed, StudentOptions options, IDataView train, IDataView? validation = null, IDataView? test = null, string note = "")
        {
            var watch = Stopwatch.StartNew();
            using var loss = options.Loss;
            var student = _ml.MulticlassClassification.Trainers.Student(options).Fit(train, validation);
            double seconds = watch.Elapsed.TotalSeconds;
            var testRows = test ?? task.Test;
            double accuracy = SuiteCsv.Accuracy(TopClasses.Of(student.Transform(testRows), "Score"), SuiteCsv.Labels(testRows));
            var report = student.History[^1].DataStrategy;
            int rows = report?.RowsUsed ?? Rows(train);
            long steps = report?.Steps ?? (long)student.History.Count * ((rows + options.BatchSize - 1) / options.BatchSize);
            int teacherRows = report?.TeacherRowsUsed ?? (options.TeacherColumnName is null ? 0 : rows);
            if (report is { DomainWeights.Count: > 0 }) note = $"final weights (seed {seed}) " + string.Join(", ", report.DomainWeights.OrderBy(d => d.Key).Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Key} {d.Value:F2}")));
            if (report is { OutOfDomainRows: > 0 }) note = string.Create(CultureInfo.InvariantCulture, $"{report.OutOfDomainRows:N0} flagged rows, mean weight {report.MeanOutOfDomainWeight:F3} (seed {seed})");
            student.Dispose();
            Record(new Fit(task.Name, block, condition, seed, accuracy, rows, steps, teacherRows, seconds, note));
            if (report is not null) Console.WriteLine($"    {report}");
        }

        /// <summary>Keeps a fit's result and appends it to the CSV (started afresh by the run's first fit).</summary>
        private void Record(Fit fit)
        {
            fits.Add(fit);
            if (!File.Exists(csv) || fits.Count == 1) File.WriteAllText(csv, "task,block,condition,seed,accuracy,rows,steps,teacher_rows,seconds\n");
            File.AppendAllText(csv, string.Create(CultureInfo.InvariantCulture, $"{fit.Task},\"{fit.Block}\",\"{fit.Condition}\",{fit.Seed},{fit.Accuracy},{fit.RowsUsed},{fit.Steps},{fit.TeacherRows},{fit.Seconds:F2}\n"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  seed {fit.Seed} {fit.Condition}: {fit.Accuracy * 100:F2} % ({fit.RowsUsed:N0} rows, {fit.Steps:N0} steps, {fit.Seconds:F1} s)"));
        }

        private static int Rows(IDataView data)
        {
            int n = 0;
            using var cursor = data.GetRowCursor([]);
            while (cursor.MoveNext()) n++;
            return n;
        }

        /// <summary>The training rows' quartiles of the mean feature value.</summary>
        private float[] Quartiles(IDataView train)
        {
            var values = new List<float>();
            using var cursor = train.GetRowCursor([train.Schema["Features"]]);
            var getter = cursor.GetGetter<VBuffer<float>>(train.Schema["Features"]);
            VBuffer<float> v = default;
            while (cursor.MoveNext())
            {
                getter(ref v);
                values.Add(v.DenseValues().Average());
            }
            values.Sort();
            return [values[values.Count / 4], values[values.Count / 2], values[3 * values.Count / 4]];
        }

        /// <summary>
        /// Adds Domain (q1–q4: the quartile of the mean feature value), DomainIndex (0–3), Ood (the top quartile) and Keep
        /// (0 on labelled top-quartile rows, which the out-of-domain block drops).
        /// </summary>
        private IDataView WithDomains(IDataView data)
        {
            var q = _quartiles!;
            var input = SchemaDefinition.Create(typeof(DomainInput));
            input[nameof(DomainInput.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, task.Info.Features);
            input[nameof(DomainInput.Label)].ColumnType = new KeyDataViewType(typeof(uint), task.Info.Classes.Length);
            var mapping = _ml.Transforms.CustomMapping<DomainInput, DomainOutput>((i, o) =>
            {
                float mean = i.Features.Average();
                int d = mean < q[0] ? 0 : mean < q[1] ? 1 : mean < q[2] ? 2 : 3;
                o.Domain = $"q{d + 1}";
                o.DomainIndex = d;
                o.Ood = d == 3;
                o.Keep = d == 3 && i.Label != 0 ? 0 : 1;
            }, contractName: null, inputSchemaDefinition: input);
            return _ml.Data.Cache(mapping.Fit(data).Transform(data));
        }
    }

    private sealed class DomainInput
    {
        public uint Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    private sealed class DomainOutput
    {
        public string Domain { get; set; } = "";
        public float DomainIndex { get; set; }
        public bool Ood { get; set; }
        public float Keep { get; set; }
    }
}
