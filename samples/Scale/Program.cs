// MLNet.Distillation beyond one process: the teacher pass split into shards that run as separate processes (or on
// separate machines), their soft-label caches merged, and one student trained on the merged labels. docs/scale.md.
//
//   dotnet run --project samples/Scale -c Release -- --shard 0/2 --out DIR     # label rows 0, 2, 4 … into DIR/labels.shard0of2.idv
//   dotnet run --project samples/Scale -c Release -- --shard 1/2 --out DIR     # (another process or machine) rows 1, 3, 5 …
//   dotnet run --project samples/Scale -c Release -- --merge 2 --out DIR       # DIR/labels.idv in the original row order
//   dotnet run --project samples/Scale -c Release -- --train --out DIR         # one student from DIR/labels.idv; the teacher does not run
//
// Options: --data DIR (Fashion-MNIST idx files; default the bundled 10,000-row subset, /usr/share/datasets/fashion-mnist
// holds the full 60,000 rows with Debian's dataset-fashion-mnist), --concurrent-batches K (teacher batches per process).
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.Distillation;
using MLNet.Distillation.Samples;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var outDir = Path.GetFullPath(Arg("--out") ?? "scale-output");
var bundled = Path.Combine(AppContext.BaseDirectory, "Data");
var dataDir = Arg("--data") ?? bundled;
var teacherPath = Path.Combine(bundled, "fashion_cnn_teacher.onnx");
int? concurrentBatches = Arg("--concurrent-batches") is { } k ? int.Parse(k, CultureInfo.InvariantCulture) : null;
string ShardFile(TeacherShard s) => Path.Combine(outDir, $"labels.shard{s.Index}of{s.Count}.idv");
var mergedFile = Path.Combine(outDir, "labels.idv");
Directory.CreateDirectory(outDir);

var watch = Stopwatch.StartNew();
var ml = new MLContext(seed: 1);
// Every process reads the same rows in the same order: shard i of n is the rows whose number mod n is i.
IDataView LoadTrain() => ml.Data.LoadFromEnumerable(FashionMnist.Load(dataDir, "train"));
DistillOptions Teacher(string cachePath, TeacherShard? shard) => new()
{
    TeacherModelPath = teacherPath, InputColumnName = "Features", OutputColumnName = "TeacherLogits",
    CachePath = cachePath, Shard = shard, ConcurrentBatches = concurrentBatches,
};

// A wrong argument or a missing file ends with the library's message, not a stack trace.
try
{
    return Run();
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or FormatException or InvalidOperationException)
{
    Console.Error.WriteLine(e.Message);
    return 3;
}

int Run()
{
    if (Arg("--shard") is { } shardText)
    {
        var shard = TeacherShard.Parse(shardText);
        var train = LoadTrain();
        var loaded = watch.Elapsed;
        using var teacher = ml.Transforms.Distill(Teacher(ShardFile(shard), shard)).Fit(train);
        long rows = teacher.WriteCache(train);
        Console.WriteLine($"shard {shard}: {rows} of {train.GetRowCount()} rows labelled by the teacher ({teacher.RowsScored} scored now) " +
            $"into {ShardFile(shard)}: teacher pass {(watch.Elapsed - loaded).TotalSeconds:F1} s after {loaded.TotalSeconds:F1} s loading the data.");
        return 0;
    }
    if (Arg("--merge") is { } countText)
    {
        int count = int.Parse(countText, CultureInfo.InvariantCulture);
        var shards = Enumerable.Range(0, count).Select(i => ShardFile(new TeacherShard(i, count)));
        long rows = ml.Data.MergeSoftLabelShards(shards, mergedFile);
        Console.WriteLine($"merged {count} shards: {rows} rows into {mergedFile} in {watch.Elapsed.TotalSeconds:F1} s.");
        return 0;
    }
    if (args.Contains("--train"))
    {
        var classes = ml.Data.LoadFromEnumerable(FashionMnist.ClassNames.Select(c => new ClassName { Value = c }));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyData: classes)
            .Append(ml.Transforms.Distill(Teacher(mergedFile, null)))   // reads the merged cache: the teacher does not run
            .Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
            {
                TeacherColumnName = "TeacherLogits", HiddenLayers = [64], Epochs = 10, Seed = 1,
            }));
        var train = LoadTrain();
        var model = pipeline.Fit(train);
        var teacherStep = ((IEnumerable<ITransformer>)model).OfType<DistillTransformer>().Single();
        var test = ml.Data.LoadFromEnumerable(FashionMnist.Load(dataDir, "t10k"));
        var accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        Console.WriteLine($"student trained on {train.GetRowCount()} rows of merged soft labels ({teacherStep.RowsScored} rows scored by the teacher in this process): " +
            $"test accuracy {accuracy:P2} on {test.GetRowCount()} rows, in {watch.Elapsed.TotalSeconds:F1} s.");
        return 0;
    }
    Console.Error.WriteLine("Give one of --shard i/n, --merge n, --train (with --out DIR); see the top of samples/Scale/Program.cs.");
    return 2;
}

sealed class ClassName
{
    public string Value { get; set; } = "";
}
