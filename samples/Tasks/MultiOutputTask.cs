using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Samples.Tasks;

/// <summary>
/// Multi-output regression with two teachers: <c>mlContext.Regression.Trainers.Student</c> on a vector label, evaluated
/// output by output with <c>mlContext.Regression.EvaluateMultiOutput</c>. Task: digit image completion — the 26 inked
/// lower-half pixels of an 8×8 digit (in [0,1]) from its 32 upper-half pixels. Teachers: a Tough-Teacher trained on the
/// true lower halves and a Tolerant-Teacher trained on soft targets (the lower halves projected onto 6 principal
/// components), the pair of Fard and Mahoor's landmark KD (<c>DistillationLoss.TolerantTough</c>).
/// </summary>
sealed class MultiOutputTask : ITaskSample
{
    public string Kind => "multi-output";
    public string FixtureTask => "digits-completion";
    public IReadOnlyList<string> SuiteTasks => ["digits-completion"];
    public string MetricName => "RMSE (mean of the outputs)";
    public bool HigherIsBetter => false;
    public IReadOnlyList<NamedLoss> Losses =>
    [
        new("RegressionKd(α=0.5)", () => DistillationLoss.RegressionKd(alpha: 0.5)),
        new("TolerantTough() (two teachers)", () => DistillationLoss.TolerantTough(), ["Tolerant", "Teacher"]),
    ];

    // The CSV: the k labels L0..L{k-1} first (loaded as ONE vector column "Label"; NaN = no label), then the features.
    public TextLoader Loader(MLContext ml, TaskFolder task) => ml.Data.CreateTextLoader(
        [
            new TextLoader.Column("Label", DataKind.Single, 0, task.Labels - 1),
            new TextLoader.Column("Features", DataKind.Single, task.Labels, task.Labels + task.Features - 1),
        ],
        separatorChar: ',', hasHeader: true);

    // Both teachers (output [N,k] each): "Teacher" = the tough one, "Tolerant" = the tolerant one.
    public IEstimator<ITransformer> Distill(MLContext ml, TaskFolder task)
        => ml.Transforms.Distill("Teacher", "Features", task.TeacherOf("tough").Path)
            .Append(ml.Transforms.Distill("Tolerant", "Features", task.TeacherOf("tolerant").Path));

    public IEstimator<ITransformer> Trainer(MLContext ml, StudentOptions options) => ml.Regression.Trainers.Student(options);

    public double Metric(MLContext ml, IDataView scored) => ml.Regression.EvaluateMultiOutput(scored).Average(m => m.RootMeanSquaredError);

    public double TeacherMetric(MLContext ml, TaskFolder task, IDataView testWithTeachers)
        => ml.Regression.EvaluateMultiOutput(testWithTeachers, "Label", "Teacher").Average(m => m.RootMeanSquaredError);

    public void Example(TaskFolder task, string outputDir)
    {
        var ml = new MLContext(seed: 1);

        // 1. Data: a vector label of k outputs.
        var loader = Loader(ml, task);
        IDataView train = loader.Load(task.Csv("train"));
        IDataView test = loader.Load(task.Csv("test"));

        // 2. Three students: scratch; distilled from the tough teacher; and from both teachers with the tolerant/tough
        //    loss (TeacherColumnNames: the tolerant teacher first, the tough one second).
        var scratch = ml.Regression.Trainers.Student(hiddenLayers: task.StudentHiddenLayers, seed: 1).Fit(train);
        var teachers = Distill(ml, task);
        var oneTeacher = teachers.Append(ml.Regression.Trainers.Student(new StudentOptions
        {
            TeacherColumnName = "Teacher",
            Loss = DistillationLoss.RegressionKd(alpha: 0.5),
            HiddenLayers = task.StudentHiddenLayers,
            Seed = 1,
        })).Fit(train);
        var model = teachers.Append(ml.Regression.Trainers.Student(new StudentOptions
        {
            TeacherColumnNames = ["Tolerant", "Teacher"],
            Loss = DistillationLoss.TolerantTough(),
            HiddenLayers = task.StudentHiddenLayers,
            Seed = 1,
        })).Fit(train);
        StudentTransformer student = model.LastTransformer;

        // 3. Evaluate each output with ML.NET's regression evaluator; report the mean over outputs.
        var scored = model.Transform(test);
        var testWithTeachers = teachers.Fit(test).Transform(test);
        Console.WriteLine($"{task.Name}: {task.Description}");
        Console.WriteLine($"  tough teacher:    mean RMSE {TeacherMetric(ml, task, testWithTeachers):F4}");
        Console.WriteLine($"  tolerant teacher: mean RMSE {ml.Regression.EvaluateMultiOutput(testWithTeachers, "Label", "Tolerant").Average(m => m.RootMeanSquaredError):F4}");
        foreach (var (name, transformer) in new (string, ITransformer)[] { ("scratch", scratch), ("RegressionKd(α=0.5), tough teacher", oneTeacher), ("TolerantTough, both teachers", model) })
        {
            var perOutput = ml.Regression.EvaluateMultiOutput(transformer.Transform(test));
            Console.WriteLine($"  {student.Network} student, {name}: mean RMSE {perOutput.Average(m => m.RootMeanSquaredError):F4}, mean R² {perOutput.Average(m => m.RSquared):F4} over {perOutput.Count} outputs");
        }

        // 4–5. Save and load; export to ONNX (output score [B,k]) and check both.
        Shipping.SaveReloadExport(ml, model, student, train.Schema, test, scored, outputDir, task.Name, "score");
        scratch.Dispose();
        oneTeacher.Dispose();
        model.Dispose();
    }
}
