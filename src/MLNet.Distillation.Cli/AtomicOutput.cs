namespace MLNet.Distillation.Cli;

/// <summary>Writes an output file through a temporary file in the same folder, renamed into place: a failed or cancelled command leaves no half-written file.</summary>
public static class AtomicOutput
{
    /// <summary>Calls <paramref name="write"/> with a temporary path, then moves it to <paramref name="path"/> (replacing it).</summary>
    public static void Write(string path, Action<string> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            write(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteText(string path, string text) => Write(path, t => File.WriteAllText(t, text));
}
