using System.Globalization;
using MLNet.Distillation.Progress;
using MLNet.Distillation.Search;
using MLNet.Distillation.Training;
using Spectre.Console;

namespace MLNet.Distillation.Cli;

/// <summary>
/// Progress bars for a long command: one per pass over the rows (the teacher pass, reading the training rows — which runs
/// the teacher when there is no cache — and the validation rows), with rows/s and the time left, and one for the epochs
/// with the loss terms and the validation metric. Fed by the library's hooks (<c>DistillOptions.Progress</c>,
/// <c>StudentOptions.LoadingProgress</c>, <c>StudentOptions.Progress</c>, <c>AutoDistillOptions.Progress</c>). With --json there are no bars.
/// </summary>
public sealed class ProgressDisplay
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly ProgressContext? _context;
    private readonly Dictionary<LoadingStage, ProgressTask> _passes = [];
    private ProgressTask? _epochs;
    private ProgressTask? _trials;
    private int _trialCount;

    private ProgressDisplay(ProgressContext? context) => _context = context;

    /// <summary>Rows in the data when known (a text file's data lines), for passes whose data view cannot count them.</summary>
    public long? ExpectedRows { get; set; }

    /// <summary>Runs <paramref name="work"/> with progress bars on the context's console (none with --json).</summary>
    /// <param name="cli">Where to draw.</param>
    /// <param name="work">The command's work, given the display to report to.</param>
    public static T Run<T>(CliContext cli, Func<ProgressDisplay, T> work)
    {
        if (cli.Json) return work(new ProgressDisplay(null));
        T result = default!;
        cli.HoldWarnings();
        try
        {
            cli.Console.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                         new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx => result = work(new ProgressDisplay(ctx)));
        }
        finally
        {
            cli.ReleaseWarnings();
        }
        return result;
    }

    /// <summary>A pass over the rows: rows done, rows/s, time left.</summary>
    public void Loading(LoadingProgress p)
    {
        if (_context is null) return;
        lock (_passes)
        {
            if (!_passes.TryGetValue(p.Stage, out var task))
            {
                task = _context.AddTask(Name(p.Stage), maxValue: Math.Max(1, p.TotalRows ?? (p.Stage == LoadingStage.ValidationRows ? 1 : ExpectedRows) ?? 1));
                if (p.TotalRows is null && (ExpectedRows is null || p.Stage == LoadingStage.ValidationRows)) task.IsIndeterminate = true;
                _passes[p.Stage] = task;
            }
            if (p.TotalRows is long total) task.MaxValue = Math.Max(1, total);
            task.Value = Math.Min(p.Rows, task.MaxValue);
            task.Description = $"{Name(p.Stage)}  [grey]{p.Rows.ToString("N0", Inv)} rows, {p.RowsPerSecond.ToString("N0", Inv)} rows/s[/]";
            if (p.IsFinished)
            {
                task.IsIndeterminate = false;
                task.MaxValue = Math.Max(1, p.Rows);
                task.Value = task.MaxValue;
                task.StopTask();
            }
        }
    }

    /// <summary>An epoch ended: loss and its terms, the validation metric.</summary>
    public void Epoch(EpochProgress e)
    {
        if (_context is null) return;
        lock (_passes)
        {
            _epochs ??= _context.AddTask("epochs", maxValue: Math.Max(1, e.TotalEpochs));
            _epochs.MaxValue = Math.Max(1, e.TotalEpochs);
            _epochs.Value = e.Epoch;
            var terms = string.Join(", ", e.LossTerms.Select(t => $"{t.Key} {t.Value.ToString("F3", Inv)}"));
            _epochs.Description = $"epoch {e.Epoch}/{e.TotalEpochs}  [grey]loss {e.Loss.ToString("F4", Inv)}{(terms.Length > 0 ? $" ({Markup.Escape(terms)})" : "")}{Metric(e)}[/]";
            if (e.Epoch >= e.TotalEpochs) _epochs.StopTask();
        }
    }

    /// <summary>An AutoDistill trial ended.</summary>
    public void Trial(AutoDistillTrial t)
    {
        if (_context is null) return;
        lock (_passes)
        {
            _trials ??= _context.AddTask("AutoDistill trials");
            _trials.IsIndeterminate = true;
            _trialCount++;
            string metric = !double.IsNaN(t.Accuracy) ? $"val acc {t.Accuracy.ToString("P2", Inv)}" : !double.IsNaN(t.Rmse) ? $"val rmse {t.Rmse.ToString("G4", Inv)}" : "";
            _trials.Description = $"AutoDistill trial {_trialCount}  [grey]{Markup.Escape(t.Candidate)}, rung {t.Rung}, {t.Epochs} epochs, {metric}[/]";
        }
    }

    private static string Metric(EpochProgress e)
    {
        if (!double.IsNaN(e.ValidationAccuracy)) return $", val acc {e.ValidationAccuracy.ToString("P2", Inv)}";
        if (!double.IsNaN(e.ValidationRmse)) return $", val rmse {e.ValidationRmse.ToString("G4", Inv)}";
        if (!double.IsNaN(e.ValidationNdcg)) return $", val ndcg@10 {e.ValidationNdcg.ToString("F4", Inv)}";
        if (!double.IsNaN(e.TrainAccuracy)) return $", train acc {e.TrainAccuracy.ToString("P2", Inv)}";
        return "";
    }

    private static string Name(LoadingStage stage) => stage switch
    {
        LoadingStage.TeacherPass => "teacher pass",
        LoadingStage.ValidationRows => "validation rows",
        _ => "training rows",
    };
}
