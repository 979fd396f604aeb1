using System.Globalization;

/// <summary>
/// The machine-readable log of a suite command: one CSV line per fit (<c>task,config,seed,accuracy,agreement,seconds</c>),
/// appended and flushed as each fit ends so that partial results survive an interrupted run.
/// </summary>
sealed class SuiteResults
{
    private const string Header = "task,config,seed,accuracy,agreement,seconds";
    private readonly string _path;
    private readonly List<(string Task, string Config, int Seed, Run Run)> _rows = new();

    /// <summary>
    /// Opens <paramref name="path"/>: with <paramref name="resume"/> its lines are kept and read back; otherwise it starts
    /// empty, and a previous log with results is first renamed to <c>&lt;name&gt;.previous-&lt;UTC time&gt;.csv</c>, never overwritten.
    /// </summary>
    public SuiteResults(string path, bool resume)
    {
        _path = path;
        if (resume && File.Exists(path))
        {
            var lines = File.ReadAllLines(path);
            if (lines.Length == 0 || lines[0] != Header)
                throw new InvalidDataException($"'{path}' does not start with the header '{Header}'; move it away or run without --resume.");
            foreach (var (line, number) in lines.Skip(1).Select((l, i) => (l, i + 2)).Where(p => p.l.Length > 0))
            {
                var f = line.Split(',');
                if (f.Length != 6)
                    throw new InvalidDataException($"'{path}' line {number} has {f.Length} fields, expected 6 ({Header}): '{line}'.");
                _rows.Add((f[0], f[1], int.Parse(f[2], CultureInfo.InvariantCulture), new Run(double.Parse(f[3], CultureInfo.InvariantCulture),
                    double.Parse(f[4], CultureInfo.InvariantCulture), TimeSpan.FromSeconds(double.Parse(f[5], CultureInfo.InvariantCulture)))));
            }
        }
        else
        {
            if (File.Exists(path) && File.ReadLines(path).Skip(1).Any(l => l.Length > 0))
            {
                var previous = System.IO.Path.ChangeExtension(path, $".previous-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv");
                File.Move(path, previous);
                Console.WriteLine($"Kept the previous results as {previous} (use --resume to continue them).");
            }
            File.WriteAllText(path, Header + "\n");
        }
    }

    /// <summary>The CSV file.</summary>
    public string FilePath => _path;

    /// <summary>The run already logged for this task, config and seed, if any.</summary>
    public Run? Find(string task, string config, int seed)
        => _rows.Where(r => r.Task == task && r.Config == config && r.Seed == seed).Select(r => r.Run).FirstOrDefault();

    /// <summary>All logged runs of a task and config, in seed order.</summary>
    public Run[] Runs(string task, string config)
        => _rows.Where(r => r.Task == task && r.Config == config).OrderBy(r => r.Seed).Select(r => r.Run).ToArray();

    /// <summary>Logs one fit: kept in memory and appended to the file at once.</summary>
    public void Add(string task, string config, int seed, Run run)
    {
        if (config.Contains(',') || task.Contains(','))
            throw new ArgumentException($"Task '{task}' or config '{config}' contains a comma, which the CSV log cannot hold.");
        _rows.Add((task, config, seed, run));
        File.AppendAllText(_path, string.Create(CultureInfo.InvariantCulture,
            $"{task},{config},{seed},{run.Accuracy:R},{run.Agreement:R},{run.Time.TotalSeconds:F2}\n"));
    }
}
