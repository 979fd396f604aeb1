using TorchSharp;

namespace MLNet.Distillation.Training;

/// <summary>
/// The TorchSharp intra-op thread count of one fit: <see cref="StudentOptions.NumberOfThreads"/>, or — when it is null —
/// one thread unless a step holds enough work to pay for the synchronisation of several (<see cref="Choose"/>). Applied
/// on the thread that trains and restored when the fit ends, because libtorch's setting outlives the fit: it is the
/// calling thread's OpenMP setting and the default of threads that start later.
/// </summary>
internal sealed class TorchThreads : IDisposable
{
    /// <summary>
    /// Multiply-adds per optimisation step (forward pass) from which a second thread pays off, with margin: below it the
    /// OpenMP barriers of each small operator cost more than the second core gains, and on a busy machine every barrier
    /// waits for a thread the scheduler has set aside (docs/performance.md, "Student training threads").
    /// </summary>
    internal const long WorkPerThread = 200_000_000;

    private readonly int _previous;
    private bool _restored;

    private TorchThreads(int threads, int previous)
    {
        Threads = threads;
        _previous = previous;
    }

    /// <summary>The thread count in force during the fit.</summary>
    public int Threads { get; }

    /// <summary>Whether the count came from the rule (null option) rather than from the user.</summary>
    public bool Chosen { get; private init; }

    /// <summary>Forward multiply-adds of one step: batch × Σ (inputs × outputs) over the layers.</summary>
    public static long WorkPerStep(int features, IReadOnlyList<int> hidden, int classes, int batch)
    {
        long macs = 0;
        int inputs = features;
        foreach (int width in hidden.Append(classes))
        {
            macs += (long)inputs * width;
            inputs = width;
        }
        return macs * batch;
    }

    /// <summary>One thread per <see cref="WorkPerThread"/> multiply-adds of a step, at least one, at most one per core.</summary>
    public static int Choose(long workPerStep, int cores) => (int)Math.Clamp(workPerStep / WorkPerThread, 1, Math.Max(1, cores));

    /// <summary>Sets the thread count for a fit; dispose to restore the previous one.</summary>
    public static TorchThreads Apply(int? requested, long workPerStep)
    {
        int previous = torch.get_num_threads();
        int threads = requested ?? Choose(workPerStep, Environment.ProcessorCount);
        if (threads != previous) torch.set_num_threads(threads);
        return new TorchThreads(threads, previous) { Chosen = requested is null };
    }

    /// <summary>A phrase for the training log line.</summary>
    public string Describe(long workPerStep)
        => (Chosen
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Threads} TorchSharp thread{(Threads == 1 ? "" : "s")} (chosen for {workPerStep:N0} multiply-adds per step on {Environment.ProcessorCount} cores)")
            : $"{Threads} TorchSharp thread{(Threads == 1 ? "" : "s")} (StudentOptions.NumberOfThreads)")
           + (Threads > 1 ? $", OpenMP wait policy: {OpenMpWaitPolicy.Description}" : "");

    public void Dispose()
    {
        if (_restored) return;
        _restored = true;
        if (Threads != _previous) torch.set_num_threads(_previous);
    }
}
