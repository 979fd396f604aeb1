namespace MLNet.Distillation.Cli.Tests;

/// <summary>The bundled wine data split by its Split column into train.csv and test.csv, and the wine teacher, in a temp folder deleted on dispose.</summary>
public sealed class WineData : IDisposable
{
    public WineData()
    {
        Folder = Directory.CreateTempSubdirectory("mlnet-distill-cli-tests-").FullName;
        var lines = File.ReadAllLines(Fixture("wine.csv"));
        File.WriteAllLines(Train, [lines[0], .. lines.Skip(1).Where(l => l.EndsWith(",train", StringComparison.Ordinal))]);
        File.WriteAllLines(Test, [lines[0], .. lines.Skip(1).Where(l => l.EndsWith(",test", StringComparison.Ordinal))]);
    }

    public string Folder { get; }
    public string Train => Path.Combine(Folder, "train.csv");
    public string Test => Path.Combine(Folder, "test.csv");
    public static string Teacher => Fixture("wine_mlp_teacher.onnx");

    /// <summary>A path inside the folder.</summary>
    public string In(string name) => Path.Combine(Folder, name);

    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public void Dispose()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }
}
