using System.Diagnostics;

namespace MLNet.Distillation.Benchmarks;

/// <summary>
/// Runs this benchmark again in a fresh process (for settings that only take effect before libtorch loads, and for a
/// clean memory baseline), or another program (the PyTorch side of a comparison), and returns the lines it printed that
/// start with <see cref="ResultPrefix"/>.
/// </summary>
internal static class ChildProcess
{
    public const string ResultPrefix = "RESULT ";

    public static string[] Run(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? program = null)
    {
        var self = program ?? Environment.ProcessPath ?? throw new InvalidOperationException("The benchmark cannot find its own executable.");
        var start = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (program is null && Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        foreach (var a in args) start.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"The child process ({self} {string.Join(" ", start.ArgumentList)}) exited with {process.ExitCode}:\n{output}\n{errors.Result}");
        return output.Split('\n').Where(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal)).Select(l => l[ResultPrefix.Length..].Trim()).ToArray();
    }
}
