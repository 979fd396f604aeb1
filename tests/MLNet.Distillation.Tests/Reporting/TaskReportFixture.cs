using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Reporting;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Reporting;

/// <summary>
/// Students of the real task fixtures (Fixtures/tasks, tools/make_task_data.py) distilled from their teachers, and their
/// reports on the fixtures' test rows — trained once per test class: pima (binary, 2-softmax teacher), boston
/// (regression, rank-1 teacher), digits-completion (26 outputs, tough teacher) and fashion-retrieval (ranking).
/// </summary>
public sealed class TaskReportFixture
{
    public TaskReportFixture()
    {
        Ml = new MLContext(seed: 1);
        Binary = Fit(Ml, "pima", "teacher.onnx", 8, 1, false, new StudentOptions { HiddenLayers = [16], Epochs = 40, Seed = 1 },
            o => Ml.BinaryClassification.Trainers.Student(o));
        Regression = Fit(Ml, "boston", "teacher.onnx", 12, 1, false, new StudentOptions { HiddenLayers = [16], Epochs = 60, Seed = 1, ValidationFraction = 0.2 },
            o => Ml.Regression.Trainers.Student(o));
        MultiOutput = Fit(Ml, "digits-completion", "teacher_tough.onnx", 32, 26, false, new StudentOptions { HiddenLayers = [32], Epochs = 40, Seed = 1 },
            o => Ml.Regression.Trainers.Student(o));
        Ranking = Fit(Ml, "fashion-retrieval", "teacher.onnx", 392, 1, true, new StudentOptions { HiddenLayers = [16], Epochs = 40, Seed = 1, BatchSize = 40 },
            o => Ml.Ranking.Trainers.Student(o));
    }

    public MLContext Ml { get; }
    public TaskCase Binary { get; }
    public TaskCase Regression { get; }
    public TaskCase MultiOutput { get; }
    public TaskCase Ranking { get; }

    /// <summary>One task: its teacher file, test rows, fitted pipeline (teacher column "Teacher" then the student) and report.</summary>
    public sealed record TaskCase(string Teacher, IDataView Test, ITransformer Model, DistillationReport Report);

    public static string File(string task, string file) => Fixture(Path.Combine("tasks", task, file));

    /// <summary>Loads a fixture CSV: (GroupId), the label column(s) as Single (a vector for several), the features F0… as one vector.</summary>
    public static IDataView Load(MLContext ml, string task, string split, int features, int labels = 1, bool group = false)
    {
        var columns = new List<TextLoader.Column>();
        int at = 0;
        if (group) columns.Add(new TextLoader.Column("GroupId", DataKind.UInt32, at++));
        columns.Add(labels == 1 ? new TextLoader.Column("Label", DataKind.Single, at) : new TextLoader.Column("Label", DataKind.Single, at, at + labels - 1));
        at += labels;
        columns.Add(new TextLoader.Column("Features", DataKind.Single, at, at + features - 1));
        return ml.Data.LoadFromTextFile(File(task, $"{split}.csv"), columns.ToArray(), separatorChar: ',', hasHeader: true);
    }

    private static TaskCase Fit(MLContext ml, string task, string teacherFile, int features, int labels, bool group, StudentOptions options,
        Func<StudentOptions, IEstimator<ITransformer>> trainer)
    {
        var teacher = File(task, teacherFile);
        options.TeacherColumnName = "Teacher";
        var model = ml.Transforms.Distill("Teacher", "Features", teacher).Append(trainer(options)).Fit(Load(ml, task, "train", features, labels, group));
        var test = Load(ml, task, "test", features, labels, group);
        return new TaskCase(teacher, test, model, DistillationReport.Create(ml, teacher, model, test, WineReportFixture.FastTiming()));
    }
}
