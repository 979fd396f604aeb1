namespace MLNet.Distillation.Tests;

/// <summary>A fresh folder under the temp directory that deletes itself (and everything in it) when disposed.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder() => Path = Directory.CreateTempSubdirectory("mlnet-distillation-tests-").FullName;

    /// <summary>Full path of the folder.</summary>
    public string Path { get; }

    /// <summary>The full path of <paramref name="name"/> inside the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
