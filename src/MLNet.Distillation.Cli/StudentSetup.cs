using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Cli.Data;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Cli;

/// <summary>What <c>train</c> and <c>auto</c> share: the data as loaded, and the steps before the student (label to key, the teacher).</summary>
public sealed class StudentSetup
{
    /// <summary>Name of the teacher's column.</summary>
    public const string TeacherColumn = "TeacherLogits";

    private StudentSetup(DataSelection selection, IDataView data, IEstimator<ITransformer> prefix, StudentTask task, bool hasTeacher)
    {
        Selection = selection;
        Data = data;
        Prefix = prefix;
        Task = task;
        HasTeacher = hasTeacher;
    }

    /// <summary>The chosen columns.</summary>
    public DataSelection Selection { get; }

    /// <summary>The training data: Label, Features (and GroupId).</summary>
    public IDataView Data { get; }

    /// <summary>The steps before the student: the label as a key (multiclass) and the teacher's column.</summary>
    public IEstimator<ITransformer> Prefix { get; }

    /// <summary>The task.</summary>
    public StudentTask Task { get; }

    /// <summary>Whether a teacher column is there.</summary>
    public bool HasTeacher { get; }

    /// <summary>Opens the data and builds the steps before the student.</summary>
    public static StudentSetup Create(MLContext ml, FileInfo data, string? separator, string? label, string? features, string? ignore, string? group,
        StudentTask task, FileInfo? teacher, FileInfo? cache, string? classNames, int teacherBatch, ProgressDisplay progress, CancellationToken cancel)
    {
        if (teacher is { Exists: false })
            throw new InputException($"Teacher model '{teacher.FullName}' was not found.");
        if (cache is not null && teacher is null)
            throw new InputException("--cache needs --teacher: the cache is checked against the teacher model it was written for.");
        if (task == StudentTask.Ranking && group is null)
            throw new InputException("--task ranking needs --group, the column with each row's query id.");
        if (group is not null && task != StudentTask.Ranking)
            throw new InputException("--group is for --task ranking only.");
        var file = TabularFile.Open(data.FullName, CliOptions.SeparatorValue(separator), ml);
        var selection = DataSelection.Choose(file, label, labelOptional: teacher is not null, features, ignore, group);
        if (selection.Label is { Length: > 1 } && task != StudentTask.Regression)
            throw new InputException($"--label names {selection.Label.Length} columns; only a regression student has several outputs.");
        var view = selection.Load(ml, LabelKind(task, selection));
        return new StudentSetup(selection, view, BuildPrefix(ml, selection, task, teacher, cache, classNames, teacherBatch, progress, cancel), task, teacher is not null);
    }

    /// <summary>The same columns, by name, from another file (the test file).</summary>
    public IDataView LoadOther(MLContext ml, FileInfo path, string? separator)
    {
        var file = TabularFile.Open(path.FullName, CliOptions.SeparatorValue(separator), ml);
        string? Names(int[]? columns) => columns is null ? null : string.Join(",", columns.Select(c => Selection.File.Header[c]));
        var other = DataSelection.Choose(file, Names(Selection.Label), labelOptional: true, Names(Selection.Features), null,
            Selection.Group is int g ? Selection.File.Header[g] : null);
        if (other.Label is null && Selection.Label is not null)
            throw new InputException($"Test file '{path.FullName}' has no label column '{Names(Selection.Label)}'.");
        return other.Load(ml, LabelKind(Task, Selection));
    }

    /// <summary>The student's options with the progress hooks and the cancellation token set.</summary>
    public StudentOptions StudentOptions(ProgressDisplay progress, CancellationToken cancel) => new()
    {
        TeacherColumnName = HasTeacher ? TeacherColumn : null,
        Progress = progress.Epoch,
        LoadingProgress = progress.Loading,
        CancellationToken = cancel,
    };

    /// <summary>The trainer for the task.</summary>
    public IEstimator<ITransformer> Trainer(MLContext ml, StudentOptions options) => Task switch
    {
        StudentTask.Multiclass => ml.MulticlassClassification.Trainers.Student(options),
        StudentTask.Binary => ml.BinaryClassification.Trainers.Student(options),
        StudentTask.Regression => ml.Regression.Trainers.Student(options),
        _ => ml.Ranking.Trainers.Student(options),
    };

    /// <summary>The steps after the student: multiclass predictions back to the class names (<c>PredictedValue</c>).</summary>
    public IEstimator<ITransformer> Suffix(MLContext ml)
        => Task == StudentTask.Multiclass && Selection.Label is not null
            ? ml.Transforms.Conversion.MapKeyToValue("PredictedValue", "PredictedLabel")
            : new EstimatorChain<ITransformer>();

    private static DataKind LabelKind(StudentTask task, DataSelection s) => task switch
    {
        StudentTask.Multiclass => DataKind.String,
        StudentTask.Binary when s.Label is [var l] && !s.File.Numeric[l] => DataKind.Boolean,
        _ => DataKind.Single,
    };

    private static IEstimator<ITransformer> BuildPrefix(MLContext ml, DataSelection selection, StudentTask task, FileInfo? teacher, FileInfo? cache,
        string? classNames, int teacherBatch, ProgressDisplay progress, CancellationToken cancel)
    {
        IEstimator<ITransformer> prefix = new EstimatorChain<ITransformer>();
        if (task == StudentTask.Multiclass && selection.Label is not null) prefix = prefix.Append(ml.Transforms.Conversion.MapValueToKey("Label"));
        if (classNames is not null && task != StudentTask.Multiclass)
            throw new InputException("--class-names is for --task multiclass only.");
        if (teacher is not null)
            prefix = prefix.Append(ml.Transforms.Distill(TeacherOptions(teacher, cache, classNames, teacherBatch, progress, cancel)));
        return prefix;
    }

    /// <summary>The teacher step as <c>label</c> writes its cache and <c>train</c> reads it (the same columns, so the cache matches).</summary>
    public static DistillOptions TeacherOptions(FileInfo teacher, FileInfo? cache, string? classNames, int teacherBatch, ProgressDisplay progress, CancellationToken cancel)
    {
        if (teacherBatch < 1) throw new InputException($"--teacher-batch {teacherBatch} must be at least 1 (typical: 64-1024).");
        return new DistillOptions
        {
            TeacherModelPath = teacher.FullName,
            InputColumnName = "Features",
            OutputColumnName = TeacherColumn,
            ClassNames = classNames?.Split(',', StringSplitOptions.TrimEntries),
            BatchSize = teacherBatch,
            CachePath = cache?.FullName,
            Progress = progress.Loading,
            CancellationToken = cancel,
        };
    }
}
