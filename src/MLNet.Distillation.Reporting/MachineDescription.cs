using System.Runtime.InteropServices;

namespace MLNet.Distillation.Reporting;

/// <summary>One line saying where timings were taken: CPU model (where the OS tells), cores, OS, .NET and ONNX Runtime versions.</summary>
internal static class MachineDescription
{
    public static string Current()
    {
        var parts = new List<string>();
        if (CpuModel() is { } cpu) parts.Add(cpu);
        parts.Add($"{Environment.ProcessorCount} logical cores");
        parts.Add(RuntimeInformation.OSDescription.Trim());
        parts.Add($".NET {Environment.Version}");
        parts.Add($"ONNX Runtime {typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version?.ToString(3)}");
        return string.Join(", ", parts);
    }

    private static string? CpuModel()
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return null;
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
