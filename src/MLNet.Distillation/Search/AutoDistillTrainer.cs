using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Search;

/// <summary>
/// Searches over losses, temperatures, weights, transfer sets and epochs on a validation split with successive halving
/// (Jamieson and Talwalkar 2016): rung r trains every surviving candidate for Epochs/η^(R−1−r) epochs, the best 1/η go on.
/// The scratch baseline is evaluated in every rung, so the pick is never worse than not distilling on the validation rows.
/// The winner is refit on all rows and returned as a <see cref="StudentTransformer"/> whose <see cref="StudentTransformer.AutoDistill"/>
/// holds the leaderboard. Deterministic for a seed (unless a time budget cuts the search). The teacher runs once.
/// </summary>
public sealed class AutoDistillTrainer : IEstimator<StudentTransformer>
{
    private readonly IHostEnvironment _env;
    private readonly AutoDistillOptions _options;

    internal AutoDistillTrainer(IHostEnvironment env, AutoDistillOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Student);
        StudentTrainer.Validate(options.Student);
        if (options.ValidationFraction is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.ValidationFraction, "AutoDistillOptions.ValidationFraction must lie in (0, 1): candidates are ranked on held-out rows.");
        if (options.ReductionFactor < 2) throw new ArgumentOutOfRangeException(nameof(options), options.ReductionFactor, "AutoDistillOptions.ReductionFactor must be at least 2.");
        if (options.Rungs < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Rungs, "AutoDistillOptions.Rungs must be at least 1.");
        if (options.MaxTrials is < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxTrials, "AutoDistillOptions.MaxTrials must be at least 1.");
        _env = env;
        _options = options;
    }

    /// <inheritdoc />
    public StudentTransformer Fit(IDataView input)
    {
        var watch = Stopwatch.StartNew();
        var o = _options;
        var baseOptions = o.Student.Clone();
        int seed = baseOptions.Seed ?? _env.Register("AutoDistill").Rand.Next();
        var all = TrainingSet.Load(input, baseOptions);
        var (train, validation) = all.Split(o.ValidationFraction, seed);
        if (!validation.HasLabels)
            throw new ArgumentException($"AutoDistill ranks candidates on labelled validation rows, but none of the held-out rows has a label in column '{baseOptions.LabelColumnName}'. Raise ValidationFraction or add labelled rows.");

        var candidates = (o.Candidates ?? AutoDistillCandidate.DefaultSpace()).ToList();
        if (!candidates.Any(c => c.IsScratch)) candidates.Insert(0, AutoDistillCandidate.Scratch);
        if (all.Teacher is null)
        {
            var dropped = candidates.Where(c => !c.IsScratch && NeedsTeacher(c)).Select(c => c.Name).ToArray();
            if (dropped.Length > 0) Log($"No teacher column: skipping {string.Join(", ", dropped)}.");
            candidates = candidates.Where(c => !dropped.Contains(c.Name)).ToList();
        }

        var trials = new List<AutoDistillTrial>();
        var survivors = candidates;
        AutoDistillTrial? winnerTrial = null;
        for (int rung = 0; rung < o.Rungs && survivors.Count > 0; rung++)
        {
            int epochs = Math.Max(1, (int)Math.Round(baseOptions.Epochs / Math.Pow(o.ReductionFactor, o.Rungs - 1 - rung)));
            var results = new List<(AutoDistillCandidate Candidate, AutoDistillTrial Trial)>();
            foreach (var candidate in survivors.OrderByDescending(c => c.IsScratch))
            {
                if (BudgetSpent(trials.Count, watch.Elapsed)) break;
                var trial = RunTrial(candidate, baseOptions, train, validation, rung, epochs, seed);
                results.Add((candidate, trial));
                trials.Add(trial);
                o.Progress?.Invoke(trial);
                Log($"rung {rung} ({epochs} epochs) {candidate.Name}: val accuracy {trial.Accuracy:P2}, log-loss {trial.LogLoss:F4}, agreement {trial.TeacherAgreement:P2} ({trial.Elapsed.TotalSeconds:F1} s)");
            }
            if (results.Count == 0) break;
            var ranked = results.OrderByDescending(r => Rank(r.Trial)).ToList();
            winnerTrial = ranked[0].Trial;
            bool last = rung == o.Rungs - 1 || BudgetSpent(trials.Count, watch.Elapsed);
            int keep = last ? 1 : Math.Max(1, (int)Math.Ceiling(ranked.Count / (double)o.ReductionFactor));
            var promoted = ranked.Take(keep).Select(r => r.Candidate).ToList();
            if (!last && !promoted.Any(c => c.IsScratch) && ranked.FirstOrDefault(r => r.Candidate.IsScratch) is { Candidate: { } scratch }) promoted.Add(scratch);
            foreach (var (candidate, trial) in results)
                if (promoted.Contains(candidate)) trials[trials.IndexOf(trial)] = trial with { Promoted = true };
            survivors = promoted;
            if (last) break;
        }
        if (winnerTrial is null) throw new InvalidOperationException("AutoDistill ran no trial: the budget allows none (raise MaxTrials or TimeBudget).");

        var winner = candidates.First(c => c.Name == winnerTrial.Candidate);
        Log($"AutoDistill picked '{winner.Name}' ({winnerTrial.Accuracy:P2} validation accuracy at {winnerTrial.Epochs} epochs); refitting on all {all.Rows} rows.");
        var refitOptions = TrialOptions(baseOptions, winner, winnerTrial.Epochs);
        refitOptions.Progress = baseOptions.Progress;
        using var loss = winner.CreateLoss();
        var (network, history) = StudentTrainer.Train(_env, refitOptions, loss, all, null, seed);
        var result = new AutoDistillResult(trials, winner.Name, winnerTrial.Epochs, seed, watch.Elapsed);
        Log(result.ToMarkdown());
        var student = StudentTrainer.Build(_env, refitOptions, network, input, all.ClassCount, history, loss.Name, seed, watch.Elapsed);
        student.AutoDistill = result;
        return student;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
        => new StudentTrainer(_env, _options.Student).GetOutputSchema(inputSchema);

    private AutoDistillTrial RunTrial(AutoDistillCandidate candidate, StudentOptions baseOptions, TrainingSet train, TrainingSet validation, int rung, int epochs, int seed)
    {
        var watch = Stopwatch.StartNew();
        var options = TrialOptions(baseOptions, candidate, epochs);
        using var loss = candidate.CreateLoss();
        var quiet = new MLContext(seed);   // trials log to a private context: the user's log gets one line per trial
        var (_, history) = StudentTrainer.Train(quiet, options, loss, train, validation, seed);
        var best = history.LastOrDefault(h => h.IsBest) ?? history[^1];
        return new AutoDistillTrial
        {
            Candidate = candidate.Name, Rung = rung, Epochs = epochs, Accuracy = best.ValidationAccuracy, LogLoss = best.ValidationLogLoss,
            TeacherAgreement = best.ValidationTeacherAgreement, Elapsed = watch.Elapsed, IsScratch = candidate.IsScratch,
        };
    }

    private static bool NeedsTeacher(AutoDistillCandidate candidate)
    {
        using var loss = candidate.CreateLoss();
        return loss.RequiresTeacher || candidate.TransferSet is not null;
    }

    private static StudentOptions TrialOptions(StudentOptions baseOptions, AutoDistillCandidate candidate, int epochs)
    {
        var o = baseOptions.Clone();
        o.Epochs = epochs;
        o.TransferSet = candidate.TransferSet;
        o.Loss = null;
        o.ValidationFraction = 0;
        o.Progress = null;
        return o;
    }

    private (double, double, double) Rank(AutoDistillTrial t)
    {
        double agreement = double.IsNaN(t.TeacherAgreement) ? 0 : t.TeacherAgreement;
        double logLoss = double.IsNaN(t.LogLoss) ? 0 : -t.LogLoss;
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
