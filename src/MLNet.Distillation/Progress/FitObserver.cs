namespace MLNet.Distillation.Progress;

/// <summary>
/// The cancellation token and loading-progress listener of the student fit that is reading rows on this logical thread.
/// A fit pulls its rows through the upstream pipeline, and a <c>Distill</c> transform with a soft-label cache runs its
/// whole teacher pass inside that pull, before the first row arrives; through this ambient observer that pass stops
/// when the fit is cancelled and reports to the fit's <c>StudentOptions.LoadingProgress</c>.
/// </summary>
internal sealed record FitObserver(CancellationToken Token, Action<LoadingProgress>? Progress, TimeSpan Interval)
{
    private static readonly AsyncLocal<FitObserver?> Ambient = new();

    /// <summary>The observer of the fit reading rows on this logical thread, if any.</summary>
    public static FitObserver? Current => Ambient.Value;

    /// <summary>Makes this the current observer until the returned scope is disposed.</summary>
    public Scope Enter() => new(this);

    public readonly struct Scope : IDisposable
    {
        private readonly FitObserver? _previous;

        internal Scope(FitObserver observer)
        {
            _previous = Ambient.Value;
            Ambient.Value = observer;
        }

        public void Dispose() => Ambient.Value = _previous;
    }
}
