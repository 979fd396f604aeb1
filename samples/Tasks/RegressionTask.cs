using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Samples.Tasks;

/// <summary>
/// Regression with one output: <c>mlContext.Regression.Trainers.Student</c> distilled from an ONNX teacher, evaluated
/// with <c>mlContext.Regression.Evaluate</c>. Quick run: the Boston housing fixture (a bagged MLP teacher whose ONNX
/// output is one-dimensional, [N]). Evidence: boston and CPS1988 log wages (a teacher with output [N,1]).
/// </summary>
sealed class RegressionTask : ITaskSample
{
    public string Kind => "regression";
    public string FixtureTask => "boston";
    public IReadOnlyList<string> SuiteTasks => ["boston", "cps1988"];
    public string MetricName => "RMSE";
    public bool HigherIsBetter => false;
    public IReadOnlyList<NamedLoss> Losses =>
    [
        new("RegressionKd(α=0.5)", () => DistillationLoss.RegressionKd(alpha: 0.5)),
        new("TeacherBounded()", () => DistillationLoss.TeacherBounded()),
    ];

    // The CSV: "Label" (the target in its own units; NaN = no label) first, then the raw features.
    public TextLoader Loader(MLContext ml, TaskFolder task) => ml.Data.CreateTextLoader(
        [
            new TextLoader.Column("Label", DataKind.Single, 0),
            new TextLoader.Column("Features", DataKind.Single, 1, task.Features),
        ],
        separatorChar: ',', hasHeader: true);

    // Teachers with output [N], [N,1] or [N,k] all arrive as a vector of k values in the "Teacher" column.
    public IEstimator<ITransformer> Distill(MLContext ml, TaskFolder task) => ml.Transforms.Distill("Teacher", "Features", task.Teacher.Path);

    public IEstimator<ITransformer> Trainer(MLContext ml, StudentOptions options) => ml.Regression.Trainers.Student(options);

    public double Metric(MLContext ml, IDataView scored) => ml.Regression.Evaluate(scored).RootMeanSquaredError;

    public double TeacherMetric(MLContext ml, TaskFolder task, IDataView testWithTeachers)
    {
        var rows = Columns.Scalars(testWithTeachers, "Label").Zip(Columns.Vectors(testWithTeachers, "Teacher"),
            (label, t) => new ScoredRow { Label = label, Score = t[0] });
        return ml.Regression.Evaluate(ml.Data.LoadFromEnumerable(rows)).RootMeanSquaredError;
    }

    public void Example(TaskFolder task, string outputDir)
    {
        var ml = new MLContext(seed: 1);

        // 1. Data.
        var loader = Loader(ml, task);
        IDataView train = loader.Load(task.Csv("train"));
        IDataView test = loader.Load(task.Csv("test"));

        // 2. Scratch and distilled students. The student standardises the target itself; RegressionKd(α) is
        //    (1−α)·MSE to the label + α·MSE to the teacher on labelled rows and MSE to the teacher on rows without a label.
        var scratch = ml.Regression.Trainers.Student(hiddenLayers: task.StudentHiddenLayers, seed: 1).Fit(train);
        var pipeline = ml.Transforms.Distill("Teacher", "Features", task.Teacher.Path)
            .Append(ml.Regression.Trainers.Student(new StudentOptions
            {
                TeacherColumnName = "Teacher",
                Loss = DistillationLoss.RegressionKd(alpha: 0.5),
                HiddenLayers = task.StudentHiddenLayers,
                Seed = 1,
            }));
        var model = pipeline.Fit(train);
        StudentTransformer student = model.LastTransformer;

        // 3. Evaluate with ML.NET's stock evaluator (the student writes a Single "Score").
        var scored = model.Transform(test);
        var metrics = ml.Regression.Evaluate(scored);
        var scratchMetrics = ml.Regression.Evaluate(scratch.Transform(test));
        double teacherRmse = TeacherMetric(ml, task, ml.Transforms.Distill("Teacher", "Features", task.Teacher.Path).Fit(test).Transform(test));
        Console.WriteLine($"{task.Name}: {task.Description}");
        Console.WriteLine($"  teacher   ({Path.GetFileName(task.Teacher.Path)}): RMSE {teacherRmse:F4}");
        Console.WriteLine($"  scratch   {student.Network} student: RMSE {scratchMetrics.RootMeanSquaredError:F4}, MAE {scratchMetrics.MeanAbsoluteError:F4}, R² {scratchMetrics.RSquared:F4}");
        Console.WriteLine($"  distilled {student.Network} student, {student.LossName}: RMSE {metrics.RootMeanSquaredError:F4}, MAE {metrics.MeanAbsoluteError:F4}, R² {metrics.RSquared:F4}");

        // 4–5. Save and load as an ML.NET model; export to ONNX (output score [B,1], in the target's units) and check both.
        Shipping.SaveReloadExport(ml, model, student, train.Schema, test, scored, outputDir, task.Name, "score");
        scratch.Dispose();
        model.Dispose();
    }

    private sealed class ScoredRow
    {
        public float Label { get; set; }
        public float Score { get; set; }
    }
}
