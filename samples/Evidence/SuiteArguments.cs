using System.Text.Json;

/// <summary>
/// Command-line options shared by the <c>suite</c> and <c>suite-grid</c> commands:
/// <c>--tasks a,b|all --seeds 3 --threads 1 --data suite-data --output evidence-output</c>, plus <c>--conditions</c>
/// (suite) or <c>--configs</c> and <c>--resume</c> (suite-grid).
/// </summary>
sealed class SuiteArguments
{
    private readonly string[] _args;

    public SuiteArguments(string[] args)
    {
        _args = args;
        DataDirectory = Path.GetFullPath(Get("data", "suite-data"));
        OutputDirectory = Path.GetFullPath(Get("output", "evidence-output"));
        Seeds = PositiveInt("seeds", 3);
        Threads = args.Contains("--threads") ? PositiveInt("threads", 1) : null;
        Resume = args.Contains("--resume");
        if (!Directory.Exists(DataDirectory))
            throw new DirectoryNotFoundException($"--data '{DataDirectory}' does not exist. Make the suite with tools/suite.sh (or /usr/bin/python3 tools/make_suite.py --out {DataDirectory}).");
        TaskDirectories = ResolveTasks();
    }

    public string DataDirectory { get; }
    public string OutputDirectory { get; }
    public int Seeds { get; }
    public int? Threads { get; }
    public bool Resume { get; }

    /// <summary>The task folders to run, smallest training split first (so the quick tasks report first).</summary>
    public IReadOnlyList<string> TaskDirectories { get; }

    /// <summary>The value after the last <c>--name</c> (so later options override earlier ones), or <paramref name="fallback"/> when the option is absent.</summary>
    public string Get(string name, string fallback)
    {
        int i = Array.LastIndexOf(_args, $"--{name}");
        if (i < 0) return fallback;
        if (i + 1 >= _args.Length || _args[i + 1].StartsWith("--", StringComparison.Ordinal))
            throw new ArgumentException($"Option --{name} needs a value.");
        return _args[i + 1];
    }

    /// <summary>A comma-separated option as a list checked against <paramref name="known"/>; "all" (or absence) gives all of them.</summary>
    public IReadOnlyList<string> List(string name, IReadOnlyList<string> known)
    {
        var value = Get(name, "all");
        if (value == "all") return known;
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = items.Where(i => !known.Contains(i)).ToArray();
        if (unknown.Length > 0 || items.Length == 0)
            throw new ArgumentException($"--{name} '{value}': unknown {string.Join(", ", unknown.Select(u => $"'{u}'"))}. Use all or a comma-separated list of: {string.Join(", ", known)}.");
        return items;
    }

    private int PositiveInt(string name, int fallback)
    {
        var text = Get(name, fallback.ToString());
        if (!int.TryParse(text, out int value) || value < 1)
            throw new ArgumentException($"--{name} '{text}' is not a positive integer.");
        return value;
    }

    private IReadOnlyList<string> ResolveTasks()
    {
        var available = Directory.GetDirectories(DataDirectory)
            .Where(d => File.Exists(Path.Combine(d, "task.json")))
            .OrderBy(TrainRows).ThenBy(d => d, StringComparer.Ordinal)
            .ToList();
        var names = available.Select(Path.GetFileName).Select(n => n!).ToList();
        if (names.Count == 0)
            throw new DirectoryNotFoundException($"--data '{DataDirectory}' holds no task folder with a task.json. Make the suite with tools/suite.sh.");
        var chosen = List("tasks", names);
        return available.Where(d => chosen.Contains(Path.GetFileName(d)!)).ToList();
    }

    private static int TrainRows(string directory)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "task.json")));
        return json.RootElement.GetProperty("rows").GetProperty("train").GetInt32();
    }
}
