using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MLNet.Distillation.Search;

/// <summary>What AutoDistill tried and chose: every trial (the leaderboard), the winner, and how it compares with scratch.</summary>
public sealed class AutoDistillResult
{
    internal AutoDistillResult(IReadOnlyList<AutoDistillTrial> trials, string winner, int winnerEpochs, int seed, TimeSpan elapsed, TimeSpan refitElapsed, string reason)
    {
        Trials = trials;
        Winner = winner;
        WinnerEpochs = winnerEpochs;
        Seed = seed;
        Elapsed = elapsed;
        RefitElapsed = refitElapsed;
        Reason = reason;
    }

    /// <summary>Wall time of the final refit alone: what one plain fit of the winner costs.</summary>
    public TimeSpan RefitElapsed { get; }

    /// <summary>The cost of the search against one plain fit: <see cref="Elapsed"/> / <see cref="RefitElapsed"/>.</summary>
    public double CostRatio => RefitElapsed > TimeSpan.Zero ? Elapsed / RefitElapsed : double.NaN;

    /// <summary>Why the winner was picked (best on validation, or kept as the default because the others' gains were within noise).</summary>
    public string Reason { get; }

    /// <summary>Every trial in the order it ran.</summary>
    public IReadOnlyList<AutoDistillTrial> Trials { get; }

    /// <summary>Name of the chosen candidate (refit on all rows).</summary>
    public string Winner { get; }

    /// <summary>Epochs of the refit.</summary>
    public int WinnerEpochs { get; }

    /// <summary>Seed of the search.</summary>
    public int Seed { get; }

    /// <summary>Wall time of the search and the refit.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>The best trial of each candidate at its highest rung, best first: the leaderboard.</summary>
    public IReadOnlyList<AutoDistillTrial> Leaderboard => Trials
        .GroupBy(t => t.Candidate)
        .Select(g => g.OrderByDescending(t => t.Rung).First())
        .OrderByDescending(t => t.Rung).ThenByDescending(Quality).ThenByDescending(t => t.TeacherAgreement)
        .ToArray();

    /// <summary>A trial's main metric, higher is better: accuracy (classification), NDCG@10 (ranking) or −RMSE (regression).</summary>
    internal static double Quality(AutoDistillTrial t)
        => !double.IsNaN(t.Accuracy) ? t.Accuracy : !double.IsNaN(t.Ndcg) ? t.Ndcg : !double.IsNaN(t.Rmse) ? -t.Rmse : double.NegativeInfinity;

    /// <summary>The leaderboard as a Markdown table.</summary>
    public string ToMarkdown()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"AutoDistill (seed {Seed}, {Trials.Count} trials, {Elapsed.TotalSeconds.ToString("F1", inv)} s = {CostRatio.ToString("F1", inv)}× one plain fit of {RefitElapsed.TotalSeconds.ToString("F1", inv)} s): winner **{Winner}**, refit for {WinnerEpochs} epochs — {Reason}");
        sb.AppendLine();
        bool regression = Trials.Any(t => !double.IsNaN(t.Rmse)), ranking = Trials.Any(t => !double.IsNaN(t.Ndcg));
        sb.AppendLine(regression ? "| candidate | rung | epochs | val RMSE | agreement with teacher |"
            : ranking ? "| candidate | rung | epochs | val NDCG@10 | pairs ordered as the teacher |"
            : "| candidate | rung | epochs | val accuracy | val log-loss | agreement with teacher |");
        sb.AppendLine(regression || ranking ? "| --- | ---: | ---: | ---: | ---: |" : "| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var t in Leaderboard)
        {
            var name = t.Candidate == Winner ? $"**{t.Candidate}**" : t.Candidate;
            sb.AppendLine(regression ? $"| {name} | {t.Rung} | {t.Epochs} | {t.Rmse.ToString("G4", inv)} | {t.TeacherAgreement.ToString("P2", inv)} |"
                : ranking ? $"| {name} | {t.Rung} | {t.Epochs} | {t.Ndcg.ToString("F4", inv)} | {t.TeacherAgreement.ToString("P2", inv)} |"
                : $"| {name} | {t.Rung} | {t.Epochs} | {t.Accuracy.ToString("P2", inv)} | {t.LogLoss.ToString("F4", inv)} | {t.TeacherAgreement.ToString("P2", inv)} |");
        }
        return sb.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToMarkdown();

    /// <summary>Writes the trials and the winner as JSON (atomically).</summary>
    /// <param name="path">Destination file.</param>
    public void SaveJson(string path)
    {
        var json = JsonSerializer.Serialize(new
        {
            winner = Winner, winnerEpochs = WinnerEpochs, seed = Seed, seconds = Elapsed.TotalSeconds, refitSeconds = RefitElapsed.TotalSeconds,
            costRatio = Finite(CostRatio), reason = Reason,
            trials = Trials.Select(t => new
            {
                candidate = t.Candidate, rung = t.Rung, epochs = t.Epochs, accuracy = Finite(t.Accuracy), logLoss = Finite(t.LogLoss),
                rmse = Finite(t.Rmse), ndcg = Finite(t.Ndcg),
                teacherAgreement = Finite(t.TeacherAgreement), seconds = t.Elapsed.TotalSeconds, promoted = t.Promoted, isScratch = t.IsScratch,
            }),
        }, new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.WriteAllText(path, json);
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
