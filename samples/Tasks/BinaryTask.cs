using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Samples.Tasks;

/// <summary>
/// Binary classification: <c>mlContext.BinaryClassification.Trainers.Student</c> distilled from an ONNX teacher, evaluated
/// with <c>mlContext.BinaryClassification.Evaluate</c>. Quick run: the Pima diabetes fixture (8 clinical measurements;
/// the teacher ends in a Softmax over the two classes). Evidence: pima and Fashion-MNIST Shirt vs T-shirt/top (a CNN
/// teacher with one logit).
/// </summary>
sealed class BinaryTask : ITaskSample
{
    public string Kind => "binary";
    public string FixtureTask => "pima";
    public IReadOnlyList<string> SuiteTasks => ["pima", "fashion-shirt"];
    public string MetricName => "AUC";
    public bool HigherIsBetter => true;
    public IReadOnlyList<NamedLoss> Losses =>
    [
        new("BinaryKd(T=1, α=0.5)", () => DistillationLoss.BinaryKd(temperature: 1, alpha: 0.5)),
        new("BinaryKd(T=2, α=0.9)", () => DistillationLoss.BinaryKd(temperature: 2, alpha: 0.9)),
    ];

    // The CSV: "Label" (1 = positive, 0 = negative, NaN = no label) first, then the raw features F0..F{n-1}.
    public TextLoader Loader(MLContext ml, TaskFolder task) => ml.Data.CreateTextLoader(
        [
            new TextLoader.Column("Label", DataKind.Single, 0),
            new TextLoader.Column("Features", DataKind.Single, 1, task.Features),
        ],
        separatorChar: ',', hasHeader: true);

    // The teacher reads the raw features (its scaling is inside the graph) and writes its output — one logit, one
    // probability or two class probabilities — to the "Teacher" column; the student turns it into one logit per row.
    public IEstimator<ITransformer> Distill(MLContext ml, TaskFolder task) => ml.Transforms.Distill("Teacher", "Features", task.Teacher.Path);

    public IEstimator<ITransformer> Trainer(MLContext ml, StudentOptions options) => ml.BinaryClassification.Trainers.Student(options);

    public double Metric(MLContext ml, IDataView scored) => ml.BinaryClassification.Evaluate(scored).AreaUnderRocCurve;

    public double TeacherMetric(MLContext ml, TaskFolder task, IDataView testWithTeachers)
    {
        // The teacher's probability of the positive class, scored by the same stock evaluator.
        var labels = Columns.Scalars(testWithTeachers, "Label");
        var outputs = Columns.Vectors(testWithTeachers, "Teacher");
        var rows = labels.Zip(outputs, (label, o) =>
        {
            float p = task.Teacher.Output switch
            {
                "probabilities" => o[1],            // softmax over (negative, positive)
                "probability" => o[0],              // sigmoid
                _ => 1f / (1f + MathF.Exp(-o[0])),  // one logit
            };
            return new ScoredRow { Label = label, Probability = p, Score = MathF.Log(p / (1 - p)), PredictedLabel = p > 0.5f };
        });
        return ml.BinaryClassification.Evaluate(ml.Data.LoadFromEnumerable(rows)).AreaUnderRocCurve;
    }

    public void Example(TaskFolder task, string outputDir)
    {
        var ml = new MLContext(seed: 1);

        // 1. Data: train and test CSV files.
        var loader = Loader(ml, task);
        IDataView train = loader.Load(task.Csv("train"));
        IDataView test = loader.Load(task.Csv("test"));

        // 2. A student from scratch (labels only) and a distilled one: Transforms.Distill adds the teacher's output as a
        //    column, the student learns from labels and teacher (BinaryKd: BCE on the label mixed with the KL between the
        //    teacher's and the student's Bernoulli at temperature T; rows without a label learn from the teacher alone).
        var scratch = ml.BinaryClassification.Trainers.Student(hiddenLayers: task.StudentHiddenLayers, seed: 1).Fit(train);
        var pipeline = ml.Transforms.Distill("Teacher", "Features", task.Teacher.Path)
            .Append(ml.BinaryClassification.Trainers.Student(new StudentOptions
            {
                TeacherColumnName = "Teacher",
                Loss = DistillationLoss.BinaryKd(temperature: 1, alpha: 0.5),
                HiddenLayers = task.StudentHiddenLayers,
                Seed = 1,
            }));
        var model = pipeline.Fit(train);
        StudentTransformer student = model.LastTransformer;

        // 3. Evaluate with ML.NET's stock evaluator: the student writes Score (logit), Probability and PredictedLabel.
        var scored = model.Transform(test);
        var metrics = ml.BinaryClassification.Evaluate(scored);
        var scratchMetrics = ml.BinaryClassification.Evaluate(scratch.Transform(test));
        double teacherAuc = TeacherMetric(ml, task, ml.Transforms.Distill("Teacher", "Features", task.Teacher.Path).Fit(test).Transform(test));
        Console.WriteLine($"{task.Name}: {task.Description}");
        Console.WriteLine($"  teacher   ({Path.GetFileName(task.Teacher.Path)}, {task.Teacher.Output}): AUC {teacherAuc:F4}");
        Console.WriteLine($"  scratch   {student.Network} student: AUC {scratchMetrics.AreaUnderRocCurve:F4}, accuracy {scratchMetrics.Accuracy:P2}, log-loss {scratchMetrics.LogLoss:F4}");
        Console.WriteLine($"  distilled {student.Network} student, {student.LossName}: AUC {metrics.AreaUnderRocCurve:F4}, accuracy {metrics.Accuracy:P2}, log-loss {metrics.LogLoss:F4}");

        // 4–5. Save and load as an ML.NET model (stock parts only: no teacher, no TorchSharp needed to load); export the
        //      student to ONNX (outputs logit [B,1], probability [B,1], predicted_label [B]) and check both against Score.
        Shipping.SaveReloadExport(ml, model, student, train.Schema, test, scored, outputDir, task.Name, "logit");
        scratch.Dispose();
        model.Dispose();
    }

    private sealed class ScoredRow
    {
        public float Label { get; set; }
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }
}
