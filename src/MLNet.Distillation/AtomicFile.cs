namespace MLNet.Distillation;

/// <summary>Writes files so that a reader never sees a half-written file and a failed write leaves the old file intact.</summary>
internal static class AtomicFile
{
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Writes through <paramref name="write"/> into a temporary file beside <paramref name="path"/>, flushes it, then renames
    /// it into place. When the folder cannot be created or written to, throws an <see cref="IOException"/> that names the
    /// path and says <paramref name="whatToDo"/> (before <paramref name="write"/> runs); errors of <paramref name="write"/>
    /// itself pass through.
    /// </summary>
    public static void Write(string path, Action<Stream> write, string? whatToDo = null)
    {
        var full = Path.GetFullPath(path);
        var tmp = TempPathBeside(full);
        FileStream fs;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(full, e, whatToDo);
        }
        try
        {
            using (fs)
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(tmp, full, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Unwritable(full, e, whatToDo);
            }
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Checks, by creating and deleting a temporary file beside it, that <paramref name="path"/> can be written; throws like <see cref="Write"/> if not.</summary>
    public static void CheckWritable(string path, string? whatToDo = null)
    {
        var full = Path.GetFullPath(path);
        var tmp = TempPathBeside(full);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            new FileStream(tmp, FileMode.CreateNew, FileAccess.Write).Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(full, e, whatToDo);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    private static string TempPathBeside(string full) => Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");

    private static IOException Unwritable(string full, Exception e, string? whatToDo)
        => new($"Cannot write '{full}': {e.Message} {whatToDo ?? "Choose a path in a folder this process can create and write to."}", e);
}
