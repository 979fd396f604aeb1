/// <summary>Writes text files atomically: a temporary file beside the target, then a rename over it.</summary>
static class AtomicText
{
    public static void Write(string path, string text)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
