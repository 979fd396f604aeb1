using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Search;

/// <summary>
/// Searches over losses, temperatures, weights, learning rates, schedules and transfer sets on validation rows with
/// successive halving (Jamieson and Talwalkar 2016): rung r trains every surviving candidate for Epochs/η^(R−1−r) epochs
/// (never fewer than <see cref="AutoDistillOptions.MinimumTrialSteps"/> steps), the best 1/η go on. Scratch and the
/// library's default distillation run in every rung, and a candidate replaces the default only when it beats it on the
/// validation rows by more than the noise of that comparison. The winner is refit and returned as a
/// <see cref="StudentTransformer"/> whose <see cref="StudentTransformer.AutoDistill"/> holds the leaderboard and the cost.
/// Deterministic for a seed (unless a time budget cuts the search). The teacher runs once.
/// </summary>
public sealed class AutoDistillTrainer : IEstimator<StudentTransformer>
{
    /// <summary>Teacher accuracy on the validation rows from which AutoDistill suspects the teacher was trained on them.</summary>
    public const double MemorisedTeacherAccuracy = 0.995;

    /// <summary>
    /// Standard errors by which a challenger must beat the incumbent: with a dozen candidates, the best of them beats an
    /// equally good default by about 1.6 standard errors by chance alone, so one would let noise decide.
    /// </summary>
    public const double NoiseMargin = 2;

    private readonly IHostEnvironment _env;
    private readonly AutoDistillOptions _options;

    internal AutoDistillTrainer(IHostEnvironment env, AutoDistillOptions options, DistillationTask task = DistillationTask.MulticlassClassification)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Student);
        if (task == DistillationTask.Embedding)
            throw new ArgumentException("AutoDistill searches the losses of classification, regression and ranking students; train an embedding student with mlContext.Transforms.EmbeddingStudent.", nameof(task));
        StudentTrainer.Validate(options.Student, task);
        Task = task;
        if (options.Student.Loss is not null)
            throw new ArgumentException($"AutoDistillOptions.Student.Loss is set ({options.Student.Loss.Name}), but AutoDistill chooses the loss itself. Add it to the search as a candidate instead: Candidates = [.. AutoDistillCandidate.DefaultSpace(), new(\"mine\", () => yourLoss)].", nameof(options));
        if (options.Student.DataStrategy is not null)
            throw new ArgumentException($"AutoDistillOptions.Student.DataStrategy is set ({options.Student.DataStrategy.Name}), but AutoDistill does not apply data strategies to its candidates. Set it on the Student trainer (mlContext.MulticlassClassification.Trainers.Student(...)), or leave it null here.", nameof(options));
        if (options.Student.TransferSet is not null)
            throw new ArgumentException("AutoDistillOptions.Student.TransferSet is set, but AutoDistill chooses transfer sets per candidate. Give it to a candidate instead (new AutoDistillCandidate(name, createLoss, transferSet)), or pass the teacher path to AutoDistillCandidate.DefaultSpace(teacherPath).", nameof(options));
        if (options.Student.Streaming is not null)
            throw new ArgumentException("AutoDistillOptions.Student.Streaming is set, but AutoDistill trains many candidates on rows held in memory. Search on a sample that fits in memory, then train the chosen loss with StudentOptions.Streaming.", nameof(options));
        if (options.Student.Checkpoint is not null)
            throw new ArgumentException("AutoDistillOptions.Student.Checkpoint is set, but AutoDistill does not checkpoint its search. Set it to null; " +
                "to checkpoint a long fit of the winner, train it with Trainers.Student(...) with the winner's loss and schedule (StudentTransformer.AutoDistill) and StudentOptions.Checkpoint.", nameof(options));
        if (options.Student.ValidationFraction > 0)
            throw new ArgumentException($"AutoDistillOptions.Student.ValidationFraction is set ({options.Student.ValidationFraction}), but AutoDistill holds out its own validation rows. Set AutoDistillOptions.ValidationFraction instead, or pass validation data to Fit(train, validation).", nameof(options));
        if (options.ValidationFraction is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.ValidationFraction, "AutoDistillOptions.ValidationFraction must lie in (0, 1): candidates are ranked on held-out rows.");
        if (options.ReductionFactor < 2) throw new ArgumentOutOfRangeException(nameof(options), options.ReductionFactor, "AutoDistillOptions.ReductionFactor must be at least 2.");
        if (options.Rungs < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Rungs, "AutoDistillOptions.Rungs must be at least 1.");
        if (options.MaxTrials is < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxTrials, "AutoDistillOptions.MaxTrials must be at least 1.");
        if (options.MinimumTrialSteps < 0) throw new ArgumentOutOfRangeException(nameof(options), options.MinimumTrialSteps, "AutoDistillOptions.MinimumTrialSteps cannot be negative.");
        _env = env;
        _options = options;
    }

    /// <summary>The task of the students this search trains.</summary>
    public DistillationTask Task { get; }

    /// <summary>Searches on <paramref name="input"/>, holding out <see cref="AutoDistillOptions.ValidationFraction"/> of it to rank candidates, and refits the winner on all rows.</summary>
    public StudentTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>
    /// Searches on <paramref name="trainData"/> and ranks the candidates on <paramref name="validationData"/> — rows the
    /// teacher did not train on, ideally, so that the ranking measures generalisation rather than agreement with a teacher
    /// that memorised them — then refits the winner on the training rows.
    /// </summary>
    /// <param name="trainData">Training rows with the feature, label and teacher columns.</param>
    /// <param name="validationData">Labelled validation rows transformed by the same upstream pipeline, or null to split them off the training rows.</param>
    public StudentTransformer Fit(IDataView trainData, IDataView? validationData)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        var watch = Stopwatch.StartNew();
        var o = _options;
        var baseOptions = o.Student.Clone();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(o.CancellationToken, o.Student.CancellationToken);
        baseOptions.CancellationToken = cancel.Token;   // reading, every trial and the refit stop at the next row or step
        cancel.Token.ThrowIfCancellationRequested();
        int seed = baseOptions.Seed ?? _env.Register("AutoDistill").Rand.Next();
        var candidates = (o.Candidates ?? AutoDistillCandidate.DefaultSpace(Task)).ToList();
        if (!candidates.Any(c => c.IsScratch)) candidates.Insert(0, AutoDistillCandidate.ScratchFor(Task));
        CheckCandidates(candidates);
        var (all, given) = StudentTrainer.LoadAligned(_env, baseOptions, trainData, validationData, Task, extraColumns: TeacherColumnsOf(candidates));
        var (train, validation) = given is null ? all.Split(o.ValidationFraction, seed) : (all, given);
        if (!validation.HasLabels)
            throw new ArgumentException($"AutoDistill ranks candidates on labelled validation rows, but none of the {(given is null ? "held-out" : "validation")} rows has a label in column '{baseOptions.LabelColumnName}'. " +
                (given is null ? "Raise ValidationFraction or add labelled rows." : "Pass labelled validation rows."));
        bool memorised = WarnIfTeacherMemorised(validation, given is not null);

        if (!all.HasTeacher)
        {
            var dropped = candidates.Where(c => !c.IsScratch && NeedsTeacher(c)).Select(c => c.Name).ToArray();
            if (dropped.Length > 0) Log($"No teacher column: skipping {string.Join(", ", dropped)}.");
            candidates = candidates.Where(c => !dropped.Contains(c.Name)).ToList();
        }
        var incumbent = candidates.FirstOrDefault(c => c.IsDefault) ?? candidates.First(c => c.IsScratch);
        var kept = new[] { incumbent }.Concat(candidates.Where(c => c.IsScratch)).Distinct().ToList();

        int fullEpochs = TrainingLoop.EffectiveEpochs(baseOptions, train.Rows);
        int stepsPerEpoch = StepsPerEpoch(baseOptions, train.Rows);
        var trials = new List<AutoDistillTrial>();
        var survivors = candidates;
        List<(AutoDistillCandidate Candidate, AutoDistillTrial Trial)> lastResults = [];
        for (int rung = 0; rung < o.Rungs && survivors.Count > 0; rung++)
        {
            int epochs = RungEpochs(rung, fullEpochs, stepsPerEpoch);
            var results = new List<(AutoDistillCandidate Candidate, AutoDistillTrial Trial)>();
            foreach (var candidate in survivors.OrderByDescending(c => kept.Contains(c)))
            {
                if (BudgetSpent(trials.Count, watch.Elapsed)) break;
                cancel.Token.ThrowIfCancellationRequested();
                var trial = RunTrial(candidate, baseOptions, train, validation, rung, epochs, seed);
                results.Add((candidate, trial));
                trials.Add(trial);
                o.Progress?.Invoke(trial);
                Log($"rung {rung} ({epochs} epochs) {candidate.Name}: {Describe(trial)} ({trial.Elapsed.TotalSeconds:F1} s)");
            }
            if (results.Count == 0) break;
            lastResults = results;
            var ranked = results.OrderByDescending(r => Rank(r.Trial)).ToList();
            bool last = rung == o.Rungs - 1 || BudgetSpent(trials.Count, watch.Elapsed);
            int keep = last ? 1 : Math.Max(1, (int)Math.Ceiling(ranked.Count / (double)o.ReductionFactor));
            var promoted = last ? [] : ranked.Take(keep).Select(r => r.Candidate).ToList();
            if (!last) foreach (var k in kept) if (!promoted.Contains(k) && results.Any(r => r.Candidate == k)) promoted.Add(k);
            foreach (var (candidate, trial) in results)
                if (promoted.Contains(candidate)) trials[trials.IndexOf(trial)] = trial with { Promoted = true };
            survivors = promoted;
            if (last) break;
        }
        if (lastResults.Count == 0) throw new InvalidOperationException("AutoDistill ran no trial: the budget allows none (raise MaxTrials or TimeBudget).");

        var (winner, winnerTrial, reason) = Choose(lastResults, incumbent, validation, memorised);
        trials[trials.IndexOf(winnerTrial)] = winnerTrial with { Promoted = true };
        Log($"AutoDistill picked '{winner.Name}' ({Describe(winnerTrial)} at {winnerTrial.Epochs} epochs): {reason} Refitting on {all.Rows} rows.");
        var refitOptions = TrialOptions(baseOptions, winner, winnerTrial.Epochs);
        refitOptions.Progress = baseOptions.Progress;
        using var loss = winner.CreateLoss();
        var refitWatch = Stopwatch.StartNew();
        var (network, history) = StudentTrainer.Train(_env, refitOptions, loss, all, null, seed);
        var refitTime = refitWatch.Elapsed;
        var result = new AutoDistillResult(trials, winner.Name, winnerTrial.Epochs, seed, watch.Elapsed, refitTime, reason);
        Log(result.ToMarkdown());
        var student = StudentTrainer.Build(_env, refitOptions, StudentTrainer.ForTask(network, all, loss), trainData, all.ClassCount, history, loss.Name, watch.Elapsed);
        student.AutoDistill = result;
        return student;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
        => new StudentTrainer(_env, _options.Student, Task).GetOutputSchema(inputSchema);

    /// <summary>Refuses candidates whose loss is made for another task, or predicts through a sigmoid (the candidates share one standardised copy of the rows).</summary>
    private void CheckCandidates(IEnumerable<AutoDistillCandidate> candidates)
    {
        foreach (var c in candidates)
        {
            using var loss = c.CreateLoss();
            try { StudentTrainer.CheckTask(loss, Task); }
            catch (ArgumentException e) { throw new ArgumentException($"AutoDistill candidate '{c.Name}': {e.Message}", nameof(AutoDistillOptions.Candidates), e); }
            if (loss.PredictsThroughSigmoid)
                throw new ArgumentException($"AutoDistill candidate '{c.Name}' uses loss '{loss.Name}', which predicts through a sigmoid on raw targets, while the other candidates train on standardised targets; the search compares candidates on one copy of the rows. Fit it on its own with mlContext.Regression.Trainers.Student.", nameof(AutoDistillOptions.Candidates));
        }
    }

    /// <summary>The extra teacher columns any candidate's loss reads (all are read once, with the rows).</summary>
    private static string[] TeacherColumnsOf(IEnumerable<AutoDistillCandidate> candidates)
        => candidates.SelectMany(c => { using var loss = c.CreateLoss(); return loss.TeacherColumns.ToArray(); }).Distinct().ToArray();

    /// <summary>A trial's validation numbers in words, by task.</summary>
    private string Describe(AutoDistillTrial t) => Task switch
    {
        DistillationTask.Regression => $"val RMSE {t.Rmse:G4}",
        DistillationTask.Ranking => $"val NDCG@10 {t.Ndcg:F4}, pairs ordered as the teacher {t.TeacherAgreement:P2}",
        _ => $"val accuracy {t.Accuracy:P2}, log-loss {t.LogLoss:F4}, agreement {t.TeacherAgreement:P2}",
    };

    /// <summary>
    /// The final pick among the last rung's trials: the best by <see cref="AutoDistillOptions.Metric"/>, unless it beats the
    /// incumbent (the library's default distillation, or scratch) on validation accuracy by no more than
    /// <see cref="NoiseMargin"/> standard errors of the difference of two accuracies on these rows — then the incumbent.
    /// </summary>
    private (AutoDistillCandidate, AutoDistillTrial, string) Choose(List<(AutoDistillCandidate Candidate, AutoDistillTrial Trial)> results,
        AutoDistillCandidate incumbent, TrainingSet validation, bool memorised)
    {
        var ranked = results.OrderByDescending(r => Rank(r.Trial)).ToList();
        var best = ranked[0];
        int at = results.FindIndex(r => r.Candidate == incumbent);
        if (at < 0 || best.Candidate == incumbent)
            return (best.Candidate, best.Trial, "best on the validation rows.");
        var held = results[at];
        if (held.Trial.Units is { } incumbentUnits && best.Trial.Units is { } challengerUnits)
            return ChoosePaired(best, held, incumbentUnits, challengerUnits, incumbent);
        long n = validation.LabelledRows();
        double p = held.Trial.Accuracy;
        double noise = NoiseMargin * Math.Sqrt(2 * Math.Max(p * (1 - p), 0.25 / Math.Max(1, n)) / Math.Max(1, n));
        double gain = best.Trial.Accuracy - held.Trial.Accuracy;
        if (_options.Metric == EarlyStoppingMetric.Accuracy && gain <= noise)
            return (held.Candidate, held.Trial,
                $"'{best.Candidate.Name}' scored {gain * 100:F2} points more, within the noise of {n} validation rows (±{noise * 100:F2} points), so '{incumbent.Name}' stays" +
                (memorised ? " (and the teacher seems to have trained on these rows)." : "."));
        return (best.Candidate, best.Trial, $"{gain * 100:F2} points above '{incumbent.Name}', beyond the noise of {n} validation rows (±{noise * 100:F2} points).");
    }

    /// <summary>
    /// Regression and ranking: the challenger replaces the incumbent only when its mean per-row squared error (per-group
    /// NDCG@10) differs from the incumbent's on the same validation rows (groups) by more than <see cref="NoiseMargin"/>
    /// standard errors of the paired differences.
    /// </summary>
    private static (AutoDistillCandidate, AutoDistillTrial, string) ChoosePaired((AutoDistillCandidate Candidate, AutoDistillTrial Trial) best,
        (AutoDistillCandidate Candidate, AutoDistillTrial Trial) held, double[] incumbent, double[] challenger, AutoDistillCandidate incumbentCandidate)
    {
        bool errors = !double.IsNaN(held.Trial.Rmse);
        int n = Math.Min(incumbent.Length, challenger.Length);
        // Gain: how much better the challenger is per unit (lower squared error, or higher NDCG).
        var d = Enumerable.Range(0, n).Select(i => errors ? incumbent[i] - challenger[i] : challenger[i] - incumbent[i]).ToArray();
        double mean = n > 0 ? d.Average() : 0;
        double sd = n > 1 ? Math.Sqrt(d.Sum(x => (x - mean) * (x - mean)) / (n - 1)) : 0;
        double noise = NoiseMargin * sd / Math.Sqrt(Math.Max(1, n));
        string unit = errors ? "rows (mean squared error)" : "groups (NDCG@10)";
        if (mean <= noise)
            return (held.Candidate, held.Trial, $"'{best.Candidate.Name}' was better by {mean:G3} per unit, within the noise of {n} validation {unit} (±{noise:G3}), so '{incumbentCandidate.Name}' stays.");
        return (best.Candidate, best.Trial, $"better than '{incumbentCandidate.Name}' by {mean:G3} per unit, beyond the noise of {n} validation {unit} (±{noise:G3}).");
    }

    /// <summary>Warns when the teacher is (nearly) always right on the validation rows: it has probably trained on them.</summary>
    private bool WarnIfTeacherMemorised(TrainingSet validation, bool given)
    {
        if (!validation.HasTeacher || Task is DistillationTask.Regression or DistillationTask.Ranking) return false;
        long labelled = 0, right = 0;
        int k = validation.ClassCount;
        for (int r = 0; r < validation.Rows; r++)
        {
            int y = validation.Label(r);
            if (y < 0) continue;
            labelled++;
            var teacher = validation.TeacherRow(r);
            int top = k == 1 ? (teacher[0] > 0 ? 1 : 0) : 0;   // a binary teacher is one logit
            for (int j = 1; j < k; j++) if (teacher[j] > teacher[top]) top = j;
            if (top == y) right++;
        }
        if (labelled == 0 || right < MemorisedTeacherAccuracy * labelled) return false;
        _env.Warn("AutoDistill", $"The teacher is right on {right * 100.0 / labelled:F1} % of the {labelled} labelled validation rows: it has probably trained on them. " +
            "Validation accuracy then measures agreement with the teacher, not how well a candidate generalises, and candidates differ by noise; " +
            "the default distillation is kept unless another candidate is clearly better. " +
            (given ? "Pass validation rows the teacher has not seen." : "Pass rows the teacher has not seen with Fit(train, validation)."));
        return true;
    }

    private int RungEpochs(int rung, int fullEpochs, int stepsPerEpoch)
    {
        int epochs = Math.Max(1, (int)Math.Round(fullEpochs / Math.Pow(_options.ReductionFactor, _options.Rungs - 1 - rung)));
        int floor = (int)Math.Ceiling(_options.MinimumTrialSteps / (double)Math.Max(1, stepsPerEpoch));
        return Math.Min(fullEpochs, Math.Max(epochs, floor));
    }

    private static int StepsPerEpoch(StudentOptions o, int rows)
    {
        int batch = Math.Max(1, Math.Min(o.BatchSize, rows));
        return (rows + batch - 1) / batch;
    }

    private AutoDistillTrial RunTrial(AutoDistillCandidate candidate, StudentOptions baseOptions, TrainingSet train, TrainingSet validation, int rung, int epochs, int seed)
    {
        var watch = Stopwatch.StartNew();
        var options = TrialOptions(baseOptions, candidate, epochs);
        using var loss = candidate.CreateLoss();
        var quiet = new MLContext(seed);   // trials log to a private context: the user's log gets one line per trial
        var (network, history) = StudentTrainer.Train(quiet, options, loss, train, validation, seed);
        var best = history.LastOrDefault(h => h.IsBest) ?? history[^1];
        var units = Task is DistillationTask.Regression or DistillationTask.Ranking
            ? TaskMetrics.Units(validation, TrainingLoop.Outputs(network, validation), loss.PredictsThroughSigmoid)
            : null;
        return new AutoDistillTrial
        {
            Candidate = candidate.Name, Rung = rung, Epochs = epochs, Accuracy = best.ValidationAccuracy, LogLoss = best.ValidationLogLoss,
            TeacherAgreement = best.ValidationTeacherAgreement, Rmse = best.ValidationRmse, Ndcg = best.ValidationNdcg, Units = units,
            Elapsed = watch.Elapsed, IsScratch = candidate.IsScratch,
        };
    }

    private static bool NeedsTeacher(AutoDistillCandidate candidate)
    {
        using var loss = candidate.CreateLoss();
        return loss.RequiresTeacher || candidate.TransferSet is not null;
    }

    /// <summary>The student options of one trial (or the refit): the candidate's transfer set, learning rate and schedule over the base options, exactly <paramref name="epochs"/>.</summary>
    private static StudentOptions TrialOptions(StudentOptions baseOptions, AutoDistillCandidate candidate, int epochs)
    {
        var o = baseOptions.Clone();
        o.Epochs = epochs;
        o.MinimumSteps = 0;
        o.TransferSet = candidate.TransferSet;
        if (candidate.LearningRate is double lr) o.LearningRate = lr;
        if (candidate.Schedule is LearningRateSchedule schedule) o.Schedule = schedule;
        o.Loss = null;
        o.ValidationFraction = 0;
        o.Progress = null;
        return o;
    }

    private (double, double, double) Rank(AutoDistillTrial t)
    {
        double agreement = double.IsNaN(t.TeacherAgreement) ? 0 : t.TeacherAgreement;
        double logLoss = double.IsNaN(t.LogLoss) ? 0 : -t.LogLoss;
        if (Task is DistillationTask.Regression or DistillationTask.Ranking) return (AutoDistillResult.Quality(t), agreement, 0);
        return _options.Metric switch
        {
            EarlyStoppingMetric.LogLoss => (logLoss, t.Accuracy, agreement),
            EarlyStoppingMetric.TeacherAgreement => (agreement, t.Accuracy, logLoss),
            _ => (t.Accuracy, agreement, logLoss),
        };
    }

    private bool BudgetSpent(int trials, TimeSpan elapsed)
        => (_options.MaxTrials is int max && trials >= max) || (_options.TimeBudget is TimeSpan budget && elapsed >= budget);

    private void Log(string message) => _env.Info("AutoDistill", message);
}
