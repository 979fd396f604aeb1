using Microsoft.ML;

namespace MLNet.Distillation.Export;

/// <summary>
/// Disposes, when the process exits, the objects registered here that are still alive. The <c>OnnxTransformer</c> of a
/// trained student's scoring chain keeps ML.NET's temporary copy of the student graph until it is disposed, and .NET runs
/// no finalizers at exit: without this, every student an app did not dispose would leave a file in the temp folder.
/// The parts themselves are registered, not the student: a scored <c>IDataView</c> holds the parts and may outlive it.
/// Holds weak references only, so it keeps nothing alive; a part already collected has its file deleted by the finalizer
/// of ML.NET's file handle, which the exit handler lets run before the process ends.
/// </summary>
internal static class DisposeAtExit
{
    private static readonly List<WeakReference<IDisposable>> Pending = new();

    static DisposeAtExit() => AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeAll();

    /// <summary>Disposes <paramref name="part"/> at exit if it is still alive then (disposing twice must be harmless).</summary>
    public static void Register(IDisposable part)
    {
        lock (Pending)
        {
            Pending.RemoveAll(w => !w.TryGetTarget(out _));
            Pending.Add(new WeakReference<IDisposable>(part));
        }
    }

    /// <summary>Registers every disposable part of <paramref name="model"/> (nested transformer chains included).</summary>
    public static void RegisterParts(ITransformer model)
    {
        foreach (var part in Parts(model).OfType<IDisposable>()) Register(part);
    }

    private static IEnumerable<ITransformer> Parts(ITransformer transformer)
        => transformer is IEnumerable<ITransformer> chain ? chain.SelectMany(Parts) : [transformer];

    private static void DisposeAll()
    {
        IDisposable[] alive;
        lock (Pending)
        {
            alive = Pending.Select(w => w.TryGetTarget(out var target) ? target : null).OfType<IDisposable>().ToArray();
            Pending.Clear();
        }
        foreach (var part in alive)
        {
            try
            {
                part.Dispose();
            }
#pragma warning disable CA1031 // The process is ending: one part that fails to dispose must not keep the others from it.
            catch (Exception)
            {
            }
#pragma warning restore CA1031
        }
        // Parts collected but not yet finalized: their file handles delete the files when finalized, and .NET runs no
        // finalizers after this handler.
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
}
