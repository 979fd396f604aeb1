using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation;
using MLNet.Distillation.Samples;
using MLNet.Distillation.Search;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;

/// <summary>
/// One task of the benchmark suite (a folder made by tools/make_suite.py): its train / valid / test CSV files, its
/// teacher and task.json. The user's pipeline — LoadFromTextFile → MapValueToKey("Label", keyData: the teacher's class
/// order) → Distill("TeacherLogits", "Features", teacher.onnx) — is fitted once and its output cached, so that the
/// teacher scores each row once and every student of the task trains on the same cached rows.
/// </summary>
sealed class SuiteTask
{
    private readonly MLContext _ml = new(seed: 1);
    private readonly ITransformer _prep;
    private readonly IDataView _trainFile;
    private readonly int[] _testTeacher;
    private readonly int[] _testLabels;
    private readonly int? _threads;

    public SuiteTask(string directory, int? threads)
    {
        _threads = threads;
        Directory = directory;
        var json = Path.Combine(directory, "task.json");
        if (!File.Exists(json))
            throw new FileNotFoundException($"Suite task folder '{directory}' has no task.json. Make the suite with: /usr/bin/python3 tools/make_suite.py (or tools/suite.sh).", json);
        Info = JsonSerializer.Deserialize<SuiteTaskInfo>(File.ReadAllText(json), new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })
            ?? throw new InvalidDataException($"'{json}' is empty.");
        if (Info.Classes.Length < 2 || Info.Features < 1 || Info.StudentHiddenLayers.Length == 0)
            throw new InvalidDataException($"'{json}': {Info.Classes.Length} classes, {Info.Features} features, student hidden layers [{string.Join(", ", Info.StudentHiddenLayers)}]; expected ≥ 2 classes, ≥ 1 feature and ≥ 1 hidden layer. Remake the task with tools/make_suite.py --force.");
        TeacherPath = Path.Combine(directory, Info.Teacher.File);
        if (!File.Exists(TeacherPath)) throw new FileNotFoundException($"Teacher '{TeacherPath}' named in '{json}' does not exist.", TeacherPath);

        _trainFile = Load("train");
        var classes = _ml.Data.LoadFromEnumerable(Info.Classes.Select(c => new ClassName { Value = c }));
        var watch = Stopwatch.StartNew();
        _prep = _ml.Transforms.Conversion.MapValueToKey("Label", keyData: classes)
            .Append(_ml.Transforms.Distill("TeacherLogits", "Features", TeacherPath))
            .Fit(_trainFile);
        Train = _ml.Data.Cache(_prep.Transform(_trainFile));
        Validation = _ml.Data.Cache(_prep.Transform(Load("valid")));
        Test = _ml.Data.Cache(_prep.Transform(Load("test")));
        _testTeacher = TopClasses.Of(Test, "TeacherLogits");
        _testLabels = Labels(Test);
        var trainTeacher = TopClasses.Of(Train, "TeacherLogits");
        TrainRows = trainTeacher.Length;
        TeacherTrainAccuracy = Accuracy(trainTeacher, Labels(Train));
        TeacherAccuracy = Accuracy(_testTeacher, _testLabels);
        _ = TopClasses.Of(Validation, "TeacherLogits");
        TeacherSeconds = watch.Elapsed.TotalSeconds;
        if (Info.Teacher.TestAccuracy is double expected && Math.Abs(expected - TeacherAccuracy) > 0.002)
            Console.WriteLine($"WARNING {Name}: the teacher's test accuracy through ONNX Runtime is {TeacherAccuracy:P2}, task.json says {expected:P2} (PyTorch).");
    }

    public SuiteTaskInfo Info { get; }
    public string Name => Info.Name;
    public string Directory { get; }
    public string TeacherPath { get; }
    public IDataView Train { get; }
    public IDataView Validation { get; }
    public IDataView Test { get; }
    public int TrainRows { get; }
    public int TestRows => _testLabels.Length;

    /// <summary>The teacher's accuracy on the test split, measured here through ONNX Runtime.</summary>
    public double TeacherAccuracy { get; }

    /// <summary>The teacher's accuracy on the rows the students train on (≈ 1 when it memorised them).</summary>
    public double TeacherTrainAccuracy { get; }

    /// <summary>Seconds to load the three splits and score them with the teacher.</summary>
    public double TeacherSeconds { get; }

    public int StudentParameters
    {
        get
        {
            int inputs = Info.Features, total = 0;
            foreach (var h in Info.StudentHiddenLayers) { total += inputs * h + h; inputs = h; }
            return total + inputs * Info.Classes.Length + Info.Classes.Length;
        }
    }

    public string Description
        => $"{Name}: {Info.Description}; {TrainRows:N0} train / {Info.Rows.Valid:N0} valid / {TestRows:N0} test rows, {Info.Features} features, "
         + $"{Info.Classes.Length} classes; student {Info.Features}-{string.Join("-", Info.StudentHiddenLayers)}-{Info.Classes.Length} ({StudentParameters:N0} parameters)";

    public string TeacherDescription
        => $"{Info.Teacher.Architecture} ({Info.Teacher.Parameters:N0} parameters); test accuracy {TeacherAccuracy:P2}, accuracy on the student's training rows {TeacherTrainAccuracy:P2}";

    /// <summary>Fits a student on <paramref name="data"/> (default: all training rows) and scores it on the test split.</summary>
    public Run Fit(StudentOptions options, IDataView? data = null)
    {
        options.HiddenLayers = Info.StudentHiddenLayers;
        options.NumberOfThreads = _threads;
        var watch = Stopwatch.StartNew();
        var student = _ml.MulticlassClassification.Trainers.Student(options).Fit(data ?? Train);
        return Score(student, watch.Elapsed);
    }

    /// <summary>
    /// AutoDistill with its default space, the student's hidden layers and the seed, ranking candidates on the validation
    /// split (rows the tabular teachers did not train on); returns its score and the search's result.
    /// </summary>
    public (Run Run, AutoDistillResult Result) FitAutoDistill(int seed)
    {
        var watch = Stopwatch.StartNew();
        var student = _ml.MulticlassClassification.Trainers.AutoDistill(new AutoDistillOptions
        {
            Student = new StudentOptions { TeacherColumnName = "TeacherLogits", HiddenLayers = Info.StudentHiddenLayers, Seed = seed, NumberOfThreads = _threads },
        }).Fit(Train, Validation);
        return (Score(student, watch.Elapsed), student.AutoDistill!);
    }

    /// <summary>
    /// The training rows with all but a seeded <paramref name="fraction"/> of the labels removed (<paramref name="keepUnlabelled"/>),
    /// or only the labelled rows (otherwise), scored by the teacher through the same fitted pipeline.
    /// </summary>
    public IDataView LabelScarce(double fraction, int seed, bool keepUnlabelled)
        => _ml.Data.Cache(_prep.Transform(SuiteCsv.LabelScarce(_ml, _trainFile, Info.Features, fraction, seed, keepUnlabelled)));

    /// <summary>How many of <paramref name="trainRows"/> keep their label at <paramref name="fraction"/> (at least one).</summary>
    public static int LabelledRows(int trainRows, double fraction) => SuiteCsv.LabelledRows(trainRows, fraction);

    private IDataView Load(string split) => SuiteCsv.Load(_ml, Directory, Info.Name, split, Info.Features, "tools/make_suite.py");

    private Run Score(StudentTransformer student, TimeSpan elapsed)
    {
        var predicted = TopClasses.Of(student.Transform(Test), "Score");
        return new Run(Accuracy(predicted, _testLabels), Accuracy(predicted, _testTeacher), elapsed);
    }

    private static double Accuracy(int[] predicted, int[] truth) => SuiteCsv.Accuracy(predicted, truth);

    private static int[] Labels(IDataView data)
        => SuiteCsv.Labels(data);


}

/// <summary>task.json of a suite task (written by tools/make_suite.py).</summary>
sealed record SuiteTaskInfo(string Name, string Description, string Source, int Features, string[] Classes, int[]? ImageShape,
    SuiteSplitRows Rows, int[] StudentHiddenLayers, SuiteTeacherInfo Teacher);

sealed record SuiteSplitRows(int Train, int Valid, int Test);

sealed record SuiteTeacherInfo(string File, string Architecture, long Parameters, double? TrainAccuracy, double? ValidAccuracy, double? TestAccuracy);
