using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Students;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Samples.Representations;

/// <summary>
/// One task folder made by tools/make_embedding_teachers.py (suite-data/embeddings/&lt;task&gt;/): train / valid / test CSV
/// files (label name first, then the raw features) and a teacher with two outputs. The user's pipeline —
/// LoadFromTextFile → MapValueToKey("Label", keyData: the teacher's class order) → Distill with
/// <c>OutputColumns = { ["logits"] = "TeacherLogits", ["embedding"] = "TeacherEmbedding" }</c> — is fitted once and its
/// output cached, so the teacher scores each row once and every student of the task trains on the same rows.
/// </summary>
sealed class EmbeddingTask
{
    public const string Logits = "TeacherLogits";
    public const string Embedding = "TeacherEmbedding";

    private readonly MLContext _ml = new(seed: 1);
    private readonly ITransformer _prep;
    private readonly IDataView _trainFile;
    private readonly int[] _testLabels;
    private readonly int[] _testTeacher;

    public EmbeddingTask(string directory)
    {
        Directory = directory;
        var json = Path.Combine(directory, "task.json");
        if (!File.Exists(json))
            throw new FileNotFoundException($"Task folder '{directory}' has no task.json. Make it with: /usr/bin/python3 tools/make_embedding_teachers.py", json);
        Info = JsonSerializer.Deserialize<TaskInfo>(File.ReadAllText(json), new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })
            ?? throw new InvalidDataException($"'{json}' is empty.");
        if (Info.Classes.Length < 2 || Info.Features < 1 || Info.StudentHiddenLayers.Length == 0)
            throw new InvalidDataException($"'{json}': {Info.Classes.Length} classes, {Info.Features} features, student hidden layers [{string.Join(", ", Info.StudentHiddenLayers)}]; expected ≥ 2 classes, ≥ 1 feature and ≥ 1 hidden layer. Remake it with tools/make_embedding_teachers.py --force.");
        TeacherPath = Path.Combine(directory, Info.Teacher.File);
        if (!File.Exists(TeacherPath)) throw new FileNotFoundException($"Teacher '{TeacherPath}' named in '{json}' does not exist.", TeacherPath);

        var watch = Stopwatch.StartNew();
        _trainFile = Load("train");
        var classes = _ml.Data.LoadFromEnumerable(Info.Classes.Select(c => new ClassName { Value = c }));
        _prep = _ml.Transforms.Conversion.MapValueToKey("Label", keyData: classes)
            .Append(_ml.Transforms.Distill(new DistillOptions
            {
                InputColumnName = "Features",
                TeacherModelPath = TeacherPath,
                OutputColumns = { ["logits"] = Logits, ["embedding"] = Embedding },
            }))
            .Fit(_trainFile);
        Train = _ml.Data.Cache(_prep.Transform(_trainFile));
        Test = _ml.Data.Cache(_prep.Transform(Load("test")));
        _testLabels = Labels(Test);
        _testTeacher = TopClasses.Of(Test, Logits);
        TrainRows = Labels(Train).Length;
        TeacherAccuracy = Accuracy(_testTeacher, _testLabels);
        EmbeddingWidth = Width(Test, Embedding);
        TeacherSeconds = watch.Elapsed.TotalSeconds;
        if (Info.Teacher.TestAccuracy is double expected && Math.Abs(expected - TeacherAccuracy) > 0.002)
            Console.WriteLine($"WARNING {Name}: the teacher's test accuracy through ONNX Runtime is {TeacherAccuracy:P2}, task.json says {expected:P2} (PyTorch).");
    }

    public TaskInfo Info { get; }
    public string Name => Info.Name;
    public string Directory { get; }
    public string TeacherPath { get; }
    public IDataView Train { get; }
    public IDataView Test { get; }
    public int TrainRows { get; }
    public int TestRows => _testLabels.Length;
    public int EmbeddingWidth { get; }
    public double TeacherAccuracy { get; }
    public double TeacherSeconds { get; }
    public MLContext Context => _ml;

    public string Description
        => $"{Name}: {Info.Description}; {TrainRows:N0} train / {TestRows:N0} test rows, {Info.Features} features, {Info.Classes.Length} classes; "
         + $"student {Info.Features}-{string.Join("-", Info.StudentHiddenLayers)}-{Info.Classes.Length}; teacher {Info.Teacher.Architecture} "
         + $"({Info.Teacher.Parameters:N0} parameters, embedding width {EmbeddingWidth}), test accuracy {TeacherAccuracy:P2} (ONNX Runtime)";

    /// <summary>Fits a classifier student on <paramref name="data"/> (default: every training row) and scores it on the test split.</summary>
    public (double Accuracy, double Agreement, double Seconds) FitClassifier(StudentOptions options, IDataView? data = null)
    {
        options.HiddenLayers = Info.StudentHiddenLayers;
        var watch = Stopwatch.StartNew();
        using var student = _ml.MulticlassClassification.Trainers.Student(options).Fit(data ?? Train);
        double seconds = watch.Elapsed.TotalSeconds;
        var predicted = TopClasses.Of(student.Transform(Test), "Score");
        return (Accuracy(predicted, _testLabels), Accuracy(predicted, _testTeacher), seconds);
    }

    /// <summary>Fits an embedding student (output column "Embedding", the teacher's width) on every training row.</summary>
    public (StudentTransformer Student, double Seconds) FitEmbedding(StudentOptions options)
    {
        options.HiddenLayers = Info.StudentHiddenLayers;
        options.TeacherColumnName = Embedding;
        var watch = Stopwatch.StartNew();
        var student = _ml.Transforms.EmbeddingStudent(options).Fit(Train);
        return (student, watch.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The training rows with all but a seeded <paramref name="fraction"/> of the labels removed (<paramref name="keepUnlabelled"/>),
    /// or only the labelled rows (otherwise), scored by the teacher through the same fitted pipeline.
    /// </summary>
    public IDataView LabelScarce(double fraction, int seed, bool keepUnlabelled)
        => _ml.Data.Cache(_prep.Transform(SuiteCsv.LabelScarce(_ml, _trainFile, Info.Features, fraction, seed, keepUnlabelled)));

    /// <summary>How many of <paramref name="trainRows"/> keep their label at <paramref name="fraction"/> (at least one).</summary>
    public static int LabelledRows(int trainRows, double fraction) => SuiteCsv.LabelledRows(trainRows, fraction);

    /// <summary>The key labels (0-based; −1 = missing) of <paramref name="data"/>.</summary>
    public static int[] Labels(IDataView data)
        => SuiteCsv.Labels(data);

    /// <summary>The float vectors of <paramref name="column"/>, at most <paramref name="limit"/> rows from the start.</summary>
    public static float[][] Vectors(IDataView data, string column, int limit = int.MaxValue)
    {
        var result = new List<float[]>();
        var col = data.Schema[column];
        using var cursor = data.GetRowCursor([col]);
        var getter = cursor.GetGetter<VBuffer<float>>(col);
        VBuffer<float> v = default;
        while (result.Count < limit && cursor.MoveNext())
        {
            getter(ref v);
            result.Add(v.DenseValues().ToArray());
        }
        return result.ToArray();
    }

    private static int Width(IDataView data, string column)
        => data.Schema[column].Type is VectorDataViewType { IsKnownSize: true } v ? v.Size
            : throw new InvalidDataException($"Teacher output column '{column}' has type {data.Schema[column].Type}; expected a fixed-size float vector.");

    private IDataView Load(string split) => SuiteCsv.Load(_ml, Directory, Info.Name, split, Info.Features, "tools/make_embedding_teachers.py");

    private static double Accuracy(int[] predicted, int[] truth) => SuiteCsv.Accuracy(predicted, truth);

    private sealed class ClassName
    {
        public string Value { get; set; } = "";
    }

}

/// <summary>task.json of a task folder (written by tools/make_embedding_teachers.py).</summary>
sealed record TaskInfo(string Name, string Description, string Source, int Features, string[] Classes,
    SplitRows Rows, int[] StudentHiddenLayers, TeacherInfo Teacher);

sealed record SplitRows(int Train, int Valid, int Test);

sealed record TeacherInfo(string File, string Architecture, long Parameters, double? TrainAccuracy, double? ValidAccuracy, double? TestAccuracy);
