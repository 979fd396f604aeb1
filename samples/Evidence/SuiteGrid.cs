using System.Globalization;
using System.Text;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;

/// <summary>
/// The <c>suite-grid</c> command: on every suite task, scratch students under optimiser/schedule recipes — some with a
/// floor on the number of optimisation steps (StudentOptions.MinimumSteps), each with a textbook twin of the same
/// length — and distilled students under six Hinton losses with recipes (b), (c), (f) and (g), each for several seeds:
/// the evidence for choosing the library's defaults. Every recipe option is set explicitly, so the results do not depend on the defaults
/// of the build. Writes suite-grid.csv (one line per fit, as it goes) and suite-grid.md (means, after each task).
/// </summary>
static class SuiteGrid
{
    /// <summary>Epochs and batch size of every grid fit (the library's defaults when the grid was designed).</summary>
    public const int Epochs = 20, BatchSize = 128;

    /// <summary>An optimiser recipe of the grid.</summary>
    public sealed record Recipe(string Id, StudentOptimizer Optimizer, LearningRateSchedule Schedule, double LearningRate, double WeightDecay, string Note, int MinimumSteps = 0)
    {
        public string Description => $"{Optimizer}, {Schedule}, lr {LearningRate:G3}, wd {WeightDecay:G3}" + (MinimumSteps > 0 ? $", ≥ {MinimumSteps} steps" : "");
    }

    /// <summary>One grid configuration: a recipe and either cross-entropy from scratch (<see cref="Temperature"/> null) or Hinton KD.</summary>
    public sealed record Config(Recipe Recipe, double? Temperature = null, double? Alpha = null, bool Corrected = false, double Confidence = 0)
    {
        /// <summary>The textbook scratch config (Adam, constant lr, no weight decay) with the same step floor: the criterion's baseline.</summary>
        public Config Textbook => new(Recipes.First(r => r.Optimizer == StudentOptimizer.Adam && r.Schedule == LearningRateSchedule.Constant
            && r.WeightDecay == 0 && r.MinimumSteps == Recipe.MinimumSteps));

        /// <summary>True when <see cref="Epochs"/> epochs over <paramref name="trainRows"/> rows already make <see cref="Recipe.MinimumSteps"/> steps.</summary>
        public bool FloorIsMet(int trainRows) => (long)Epochs * ((trainRows + BatchSize - 1) / BatchSize) >= Recipe.MinimumSteps;

        /// <summary>
        /// What decides the fit on <paramref name="trainRows"/> rows: two configs with the same key train the same student
        /// (CPU training is deterministic for a seed), e.g. a step floor that <see cref="Epochs"/> epochs already meet and no floor.
        /// </summary>
        public string FitKey(int trainRows)
        {
            string length = FloorIsMet(trainRows) ? "" : $"floor {Recipe.MinimumSteps}";
            string loss = IsScratch ? "ce" : FormattableString.Invariant($"{(Corrected ? "corrected" : "hinton")} {Temperature:R} {Alpha:R} {Confidence:R}");
            return FormattableString.Invariant($"{Recipe.Optimizer}/{Recipe.Schedule}/{Recipe.LearningRate:R}/{Recipe.WeightDecay:R}/{length}/{loss}");
        }

        public bool IsScratch => Temperature is null;
        public string Id => IsScratch ? Recipe.Id : $"{Recipe.Id}:{(Corrected ? "corrected" : "hinton")}-T{Temperature:G3}-a{Alpha:G3}" + (Confidence > 0 ? $"-p{Confidence:G3}" : "");

        /// <summary>The scratch config of the same recipe (the baseline a KD config must not lose to).</summary>
        public Config Baseline => this with { Temperature = null, Alpha = null, Corrected = false, Confidence = 0 };

        public StudentOptions Options(int seed) => new()
        {
            TeacherColumnName = IsScratch ? null : "TeacherLogits",
            Loss = IsScratch ? DistillationLoss.CrossEntropy(0)
                : Corrected ? DistillationLoss.TeacherCorrected(Temperature!.Value, Alpha!.Value, Confidence) : DistillationLoss.Hinton(Temperature!.Value, Alpha!.Value),
            Optimizer = Recipe.Optimizer,
            Schedule = Recipe.Schedule,
            LearningRate = Recipe.LearningRate,
            WeightDecay = Recipe.WeightDecay,
            WarmupEpochs = 0,
            Epochs = Epochs,
            MinimumSteps = Recipe.MinimumSteps,
            BatchSize = BatchSize,
            Activation = StudentActivation.Relu,
            Dropout = 0,
            StandardizeFeatures = true,
            ValidationFraction = 0,
            EarlyStoppingPatience = null,
            TransferSet = null,
            Seed = seed,
        };
    }

    public static readonly Recipe[] Recipes =
    [
        new("a", StudentOptimizer.Adam, LearningRateSchedule.Constant, 1e-3, 0, " (textbook PyTorch loop)"),
        new("b", StudentOptimizer.AdamW, LearningRateSchedule.Cosine, 1e-3, 1e-4, " (the library default when the grid was designed)"),
        new("c", StudentOptimizer.AdamW, LearningRateSchedule.StableDecay, 1e-3, 1e-4, ""),
        new("d", StudentOptimizer.Adam, LearningRateSchedule.StableDecay, 1e-3, 0, ""),
        new("e", StudentOptimizer.AdamW, LearningRateSchedule.Constant, 1e-3, 1e-4, ""),
        new("f", StudentOptimizer.AdamW, LearningRateSchedule.StableDecay, 1e-3, 1e-4, "", MinimumSteps: 1000),
        new("g", StudentOptimizer.AdamW, LearningRateSchedule.StableDecay, 1e-3, 1e-4, "", MinimumSteps: 3000),
        new("h", StudentOptimizer.AdamW, LearningRateSchedule.Cosine, 1e-3, 1e-4, "", MinimumSteps: 1000),
        new("i", StudentOptimizer.Adam, LearningRateSchedule.Constant, 1e-3, 0, " (textbook twin of f and h)", MinimumSteps: 1000),
        new("j", StudentOptimizer.Adam, LearningRateSchedule.Constant, 1e-3, 0, " (textbook twin of g)", MinimumSteps: 3000),
        new("k", StudentOptimizer.AdamW, LearningRateSchedule.StableDecay, 1e-3, 1e-4, "", MinimumSteps: 6000),
        new("l", StudentOptimizer.Adam, LearningRateSchedule.Constant, 1e-3, 0, " (textbook twin of k)", MinimumSteps: 6000),
    ];

    /// <summary>The Hinton (temperature, α) pairs distilled under recipes (b) and (c).</summary>
    public static readonly (double T, double Alpha)[] Losses = [(4, 0.9), (1, 1), (1, 0.5), (2, 0.5), (2, 0.9), (4, 0.5)];

    /// <summary>The teacher-corrected KD (temperature, α) pairs distilled under recipes (f) and (g).</summary>
    public static readonly (double T, double Alpha)[] CorrectedLosses = [(1, 0.5), (1, 0.25), (2, 0.5)];

    /// <summary>All configurations: every recipe from scratch, then the six losses under (b), (c), (f) and (g).</summary>
    public static IReadOnlyList<Config> Configs { get; } =
        Recipes.Select(r => new Config(r))
            .Concat(new[] { "b", "c", "f", "g" }.SelectMany(id => Losses.Select(l => new Config(Recipes.Single(r => r.Id == id), l.T, l.Alpha))))
            .Concat(new[] { "f", "g" }.SelectMany(id => CorrectedLosses.Select(l => new Config(Recipes.Single(r => r.Id == id), l.T, l.Alpha, Corrected: true))))
            .Concat(new[] { 0.9, 0.99 }.Select(p => new Config(Recipes.Single(r => r.Id == "g"), 1, 0.5, Corrected: true, Confidence: p)))
            .ToList();

    public static void Run(SuiteArguments args, string[] commandLine)
    {
        var configs = args.List("configs", Configs.Select(c => c.Id).ToList()).Select(id => Configs.Single(c => c.Id == id)).ToList();
        Directory.CreateDirectory(args.OutputDirectory);
        var results = new SuiteResults(Path.Combine(args.OutputDirectory, "suite-grid.csv"), args.Resume);
        var markdown = Path.Combine(args.OutputDirectory, "suite-grid.md");
        var done = new List<SuiteTask>();
        Console.WriteLine($"suite-grid: {args.TaskDirectories.Count} tasks × {configs.Count} configs × {args.Seeds} seeds; CSV {results.FilePath}");
        foreach (var directory in args.TaskDirectories)
        {
            var task = new SuiteTask(directory, args.Threads);
            Console.WriteLine($"{task.Description}\n  teacher: {task.TeacherDescription}; scored in {task.TeacherSeconds:F0} s");
            foreach (var config in configs)
            {
                for (int seed = 1; seed <= args.Seeds; seed++)
                {
                    var run = results.Find(task.Name, config.Id, seed);
                    string note = "";
                    var twin = run is null
                        ? Configs.FirstOrDefault(c => c != config && c.FitKey(task.TrainRows) == config.FitKey(task.TrainRows) && results.Find(task.Name, c.Id, seed) is not null)
                        : null;
                    if (twin is not null)
                    {
                        // The same options in effect, and CPU training is deterministic: the twin's fit is this fit.
                        run = results.Find(task.Name, twin.Id, seed)!;
                        results.Add(task.Name, config.Id, seed, run);
                        note = $" (= {twin.Id}: {Epochs} epochs already make ≥ {config.Recipe.MinimumSteps} steps)";
                    }
                    else if (run is null)
                    {
                        var options = config.Options(seed);
                        using var loss = options.Loss;
                        run = task.Fit(options);
                        results.Add(task.Name, config.Id, seed, run);
                    }
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {task.Name} {config.Id} seed {seed}: accuracy {run.Accuracy * 100:F2}, agreement {run.Agreement * 100:F2}, {run.Time.TotalSeconds:F1} s{note}"));
                }
            }
            done.Add(task);
            AtomicText.Write(markdown, Table(done, configs, results, args, commandLine));
            Console.WriteLine($"  {task.Name} done; means in {markdown}");
        }
    }

    /// <summary>The Markdown report: accuracy, the two default criteria, agreement and time, config × task.</summary>
    public static string Table(IReadOnlyList<SuiteTask> tasks, IReadOnlyList<Config> configs, SuiteResults results, SuiteArguments args, string[] commandLine)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# Suite grid: {tasks.Count} tasks, {args.Seeds} seeds");
        sb.AppendLine();
        sb.AppendLine($"Command: `dotnet Evidence.dll {string.Join(' ', commandLine)}`. Every fit: {Epochs} epochs (more under a step floor), batch {BatchSize}, no warm-up, no dropout, "
            + $"features standardised by the student, no validation or early stopping, TorchSharp threads {(args.Threads?.ToString() ?? "default")}; "
            + "KD configs use the teacher column of the cached Distill pass. Accuracy and agreement with the teacher on each task's test split, "
            + "mean ± sample sd over seeds 1…" + args.Seeds + ".");
        sb.AppendLine();
        sb.AppendLine("| task | train / test rows | features → student → classes | teacher test accuracy | teacher accuracy on the training rows | steps in 20 epochs |");
        sb.AppendLine("| --- | ---: | --- | ---: | ---: | ---: |");
        foreach (var t in tasks)
            sb.AppendLine($"| {t.Name} | {t.TrainRows:N0} / {t.TestRows:N0} | {t.Info.Features}-{string.Join("-", t.Info.StudentHiddenLayers)}-{t.Info.Classes.Length} ({t.StudentParameters:N0} params) | {t.TeacherAccuracy * 100:F2} | {t.TeacherTrainAccuracy * 100:F2} | {Epochs * ((t.TrainRows + BatchSize - 1) / BatchSize):N0} |");
        sb.AppendLine();
        sb.AppendLine("Configs: " + string.Join("; ", Recipes.Select(r => $"({r.Id}) {r.Description}{r.Note}")) + ". "
            + "`b:hinton-T4-a0.9` = Hinton KD with temperature 4 and α = 0.9 (weight of the teacher term) under recipe (b), and so on. "
            + "A step floor (≥ N steps, StudentOptions.MinimumSteps) raises the epochs where 20 make fewer steps; where 20 epochs already make "
            + "enough, a row repeats the fit of the config with the same options in effect (deterministic on the CPU).");
        sb.AppendLine();

        Matrix(sb, "Test accuracy, % (mean ± sd)", tasks, configs, (t, c) => Cell(results.Runs(t.Name, c.Id), r => r.Accuracy, withSd: true), worst: null);
        var scratch = configs.Where(c => c.IsScratch && c != c.Textbook && configs.Contains(c.Textbook)).ToList();
        if (scratch.Count > 0)
            Matrix(sb, "Scratch recipe − textbook scratch with the same step floor ((a), (i) or (j)), accuracy points (criterion: ≥ −0.2 on every task)", tasks, scratch,
                (t, c) => Delta(results.Runs(t.Name, c.Id), results.Runs(t.Name, c.Textbook.Id)), worst: (t, c) => DeltaValue(results.Runs(t.Name, c.Id), results.Runs(t.Name, c.Textbook.Id)));
        var kd = configs.Where(c => !c.IsScratch && configs.Contains(c.Baseline)).ToList();
        if (kd.Count > 0)
        {
            Matrix(sb, "KD − scratch of the same recipe, accuracy points (criterion: ≥ −0.1 on every task)", tasks, kd,
                (t, c) => Delta(results.Runs(t.Name, c.Id), results.Runs(t.Name, c.Baseline.Id)), worst: (t, c) => DeltaValue(results.Runs(t.Name, c.Id), results.Runs(t.Name, c.Baseline.Id)));
            var kdTextbook = kd.Where(c => configs.Contains(c.Textbook)).ToList();
            if (kdTextbook.Count > 0)
                Matrix(sb, "KD − textbook scratch with the same step floor, accuracy points", tasks, kdTextbook,
                    (t, c) => Delta(results.Runs(t.Name, c.Id), results.Runs(t.Name, c.Textbook.Id)), worst: (t, c) => DeltaValue(results.Runs(t.Name, c.Id), results.Runs(t.Name, c.Textbook.Id)));
        }
        Matrix(sb, "Agreement with the teacher on the test split, % (mean)", tasks, configs, (t, c) => Cell(results.Runs(t.Name, c.Id), r => r.Agreement, withSd: false), worst: null);
        Matrix(sb, "Wall time per fit, s (mean)", tasks, configs, (t, c) =>
        {
            var runs = results.Runs(t.Name, c.Id);
            return runs.Length == 0 ? "–" : runs.Average(r => r.Time.TotalSeconds).ToString("F1", CultureInfo.InvariantCulture);
        }, worst: null);
        return sb.ToString();
    }

    private static void Matrix(StringBuilder sb, string title, IReadOnlyList<SuiteTask> tasks, IReadOnlyList<Config> configs,
        Func<SuiteTask, Config, string> cell, Func<SuiteTask, Config, double?>? worst)
    {
        sb.AppendLine($"## {title}");
        sb.AppendLine();
        sb.AppendLine($"| config | {string.Join(" | ", tasks.Select(t => t.Name))} |{(worst is null ? "" : " worst |")}");
        sb.AppendLine($"| --- |{string.Concat(tasks.Select(_ => " ---: |"))}{(worst is null ? "" : " ---: |")}");
        foreach (var c in configs)
        {
            string tail = "";
            if (worst is not null)
            {
                var values = tasks.Select(t => worst(t, c)).ToList();
                tail = values.Any(v => v is null) ? " – |" : $" {values.Min()!.Value:+0.00;−0.00;0.00} |";
            }
            sb.AppendLine($"| {c.Id} | {string.Join(" | ", tasks.Select(t => cell(t, c)))} |{tail}");
        }
        sb.AppendLine();
    }

    private static string Cell(Run[] runs, Func<Run, double> value, bool withSd)
    {
        if (runs.Length == 0) return "–";
        var v = runs.Select(value).ToArray();
        double mean = v.Average();
        if (!withSd) return (mean * 100).ToString("F2", CultureInfo.InvariantCulture);
        double sd = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
        return string.Create(CultureInfo.InvariantCulture, $"{mean * 100:F2} ± {sd * 100:F2}");
    }

    private static double? DeltaValue(Run[] runs, Run[] baseline)
        => runs.Length == 0 || baseline.Length == 0 ? null : (runs.Average(r => r.Accuracy) - baseline.Average(r => r.Accuracy)) * 100;

    private static string Delta(Run[] runs, Run[] baseline)
        => DeltaValue(runs, baseline) is double d ? d.ToString("+0.00;−0.00;0.00", CultureInfo.InvariantCulture) : "–";
}
