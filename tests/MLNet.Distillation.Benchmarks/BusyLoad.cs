using System.Diagnostics;

namespace MLNet.Distillation.Benchmarks;

/// <summary>
/// Other work on the machine, made on purpose: one <c>yes &gt; /dev/null</c> process pinned to each of the first
/// <c>count</c> cores (with <c>taskset</c>), killed on dispose — or, should this process die first, by its own watchdog
/// shell within a second. It stands in for the other jobs of a shared machine.
/// </summary>
internal sealed class BusyLoad : IDisposable
{
    private readonly List<Process> _processes = new();

    public BusyLoad(int count)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("The loaded condition starts pinned busy processes with taskset; it runs on Linux only.");
        try
        {
            for (int core = 0; core < count; core++)
            {
                var start = new ProcessStartInfo("taskset") { UseShellExecute = false };
                string watchdog = $"yes > /dev/null & y=$!; trap 'kill $y' EXIT; while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done";
                foreach (var a in new[] { "-c", (core % Environment.ProcessorCount).ToString(System.Globalization.CultureInfo.InvariantCulture), "sh", "-c", watchdog })
                    start.ArgumentList.Add(a);
                _processes.Add(Process.Start(start) ?? throw new InvalidOperationException("Could not start taskset for the busy load."));
            }
            Thread.Sleep(500);   // let them get going before the first measurement
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Count => _processes.Count;

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); p.WaitForExit(5000); }
            catch (InvalidOperationException) { }
            p.Dispose();
        }
        _processes.Clear();
    }
}
