using System.Globalization;
using System.Runtime.InteropServices;
using MLNet.Distillation.Benchmarks;

// Teacher-pass throughput: Distill vs raw batched InferenceSession.Run vs ApplyOnnxModel, side by side in one process.
// Usage: dotnet run -c Release --project tests/MLNet.Distillation.Benchmarks -- [options]   (--help lists them)
var options = BenchmarkOptions.Parse(args);
if (options is null) return 1;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (options.MemoryFit is int memoryRows)
{
    MemoryBenchmark.RunChild(options, memoryRows, options.MemoryCounts.Single());
    return 0;
}
if (options.StreamFit is int streamRows)
{
    StreamingBenchmark.RunChild(options, streamRows, options.StreamFitStreamed);
    return 0;
}
if (options.StudentFit is { } setting)
{
    StudentThreadsBenchmark.RunChild(options, setting, options.SoftLabels ?? throw new ArgumentException("--student-fit needs --soft-labels."));
    return 0;
}
if (options.SpeedFit is { } kind)
{
    StudentSpeedBenchmark.RunChild(options, kind, options.SpeedData ?? throw new ArgumentException("--speed-fit needs --speed-data."));
    return 0;
}
string mode = options.Parquet ? "Parquet reading" : options.StudentSpeed ? "student training speed" : options.StudentThreads ? "student threads" : options.Memory ? "training memory" : options.Streaming ? "streaming training" : "teacher";
Console.WriteLine($"MLNet.Distillation {mode} benchmark — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}");
if (!options.StudentThreads && !options.Memory && !options.StudentSpeed && !options.Parquet && !options.Streaming) Console.WriteLine($"settings: {options}");
Console.WriteLine($"load average at start (1, 5, 15 min): {LoadAverage()}");

if (options.Streaming)
{
    StreamingBenchmark.Run(options);
    Console.WriteLine($"\nload average at end (1, 5, 15 min): {LoadAverage()}");
    return 0;
}

if (options.Memory)
{
    MemoryBenchmark.Run(options);
    Console.WriteLine($"\nload average at end (1, 5, 15 min): {LoadAverage()}");
    return 0;
}

if (options.Parquet)
{
    using var folder = new TempFolder();
    ParquetBenchmark.Run(options, folder.Path);
    Console.WriteLine($"\nload average at end (1, 5, 15 min): {LoadAverage()}");
    return 0;
}

if (options.StudentSpeed)
{
    using var folder = new TempFolder();
    StudentSpeedBenchmark.Run(options, folder.Path);
    Console.WriteLine($"\nload average at end (1, 5, 15 min): {LoadAverage()}");
    return 0;
}

if (options.StudentThreads)
{
    using var folder = new TempFolder();
    StudentThreadsBenchmark.Run(options, folder.Path);
    Console.WriteLine($"\nload average at end (1, 5, 15 min): {LoadAverage()}");
    return 0;
}

var data = BenchmarkData.Load(options);
Console.WriteLine($"data: {data.Description}");
Console.WriteLine();

using var work = new TempFolder();
if (options.Profile)
{
    foreach (var teacher in BenchmarkTeacher.Create(options, work.Path))
        foreach (var batch in options.BatchSizes)
            Profiler.Run(teacher, data, options, batch);
    return 0;
}

if (options.Cache)
{
    foreach (var teacher in BenchmarkTeacher.Create(options, work.Path))
        CacheBenchmark.Run(teacher, data, options, work.Path);
    return 0;
}

var results = new List<TeacherResult>();
foreach (var teacher in BenchmarkTeacher.Create(options, work.Path))
    results.Add(new TeacherBenchmark(teacher, data, options).Run());

Console.WriteLine();
Console.WriteLine("## Summary (median rows/s; ratio = Distill ÷ raw ORT at each one's best batch size)");
Console.WriteLine();
Report.PrintSummary(results);
Console.WriteLine();
Console.WriteLine($"load average at end (1, 5, 15 min): {LoadAverage()}");
return 0;

// Other work on the machine shows in wall-clock rates; the load average says how much there was (Linux only).
static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
