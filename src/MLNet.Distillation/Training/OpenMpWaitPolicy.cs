using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MLNet.Distillation.Training;

/// <summary>
/// Makes libtorch's OpenMP worker threads sleep while they wait for work (<c>OMP_WAIT_POLICY=PASSIVE</c>) instead of
/// spinning. GNU OpenMP reads the variable once, when libtorch loads, so it is set when this assembly is first used —
/// before any of its code touches TorchSharp — and only when the environment does not set it already. With spinning
/// threads, every operator's barrier on a busy machine waits for a thread the scheduler has set aside while its partner
/// burns the time slice: fits ran 10–50× slower (docs/performance.md, "Student training threads").
/// </summary>
internal static class OpenMpWaitPolicy
{
    public const string Variable = "OMP_WAIT_POLICY";

    /// <summary>The policy in force and who chose it, for the training log.</summary>
    public static string Description { get; private set; } = "OpenMP's default";

    /// <summary>True when OpenMP threads sleep while waiting (passive), as far as this process can tell.</summary>
    public static bool Passive { get; private set; }

#pragma warning disable CA2255 // A library module initializer: the variable must be in place before libtorch loads, whoever loads it first.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void SetBeforeLibtorchLoads()
    {
        // .NET copies the process environment at startup, so this sees a value the user or the shell set.
        if (Environment.GetEnvironmentVariable(Variable) is { } existing)
        {
            Passive = existing.Trim().Equals("PASSIVE", StringComparison.OrdinalIgnoreCase);
            Description = $"{Variable}={existing} from the environment";
            return;
        }
        if (LibgompLoaded())
        {
            Description = $"OpenMP's default: libtorch was loaded before MLNet.Distillation, too late to set {Variable}=PASSIVE (set it in the environment)";
            return;
        }
        // The native environment is what OpenMP reads; on Unix, Environment.SetEnvironmentVariable only changes .NET's copy.
        if (!OperatingSystem.IsWindows() && setenv(Variable, "PASSIVE", 0) != 0)
        {
            Description = $"OpenMP's default: setting {Variable} failed";
            return;
        }
        Environment.SetEnvironmentVariable(Variable, "PASSIVE");
        Passive = true;
        Description = $"{Variable}=PASSIVE, set by MLNet.Distillation";
    }

    /// <summary>Whether GNU OpenMP is already mapped into the process (Linux; elsewhere assumed not).</summary>
    private static bool LibgompLoaded()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return File.ReadLines("/proc/self/maps").Any(l => l.Contains("libgomp", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv(string name, string value, int overwrite);
}
