using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Samples.Tasks;

/// <summary>
/// Ranking: <c>mlContext.Ranking.Trainers.Student</c> scoring (query, document) rows grouped by <c>GroupId</c>, distilled
/// from an ONNX cross-encoder, evaluated with <c>mlContext.Ranking.Evaluate</c> (NDCG@k). Task: query-by-example image
/// retrieval on Fashion-MNIST — a query image and 20 candidates per group, each row the two 14×14 images side by side,
/// relevance 2 = same class, 1 = same garment family, 0 = otherwise (see tools/make_task_data.py).
/// </summary>
sealed class RankingTask : ITaskSample
{
    /// <summary>Key range of GroupId: more than any task's groups.</summary>
    private const int MaxGroups = 1_000_000;

    public string Kind => "ranking";
    public string FixtureTask => "fashion-retrieval";
    public IReadOnlyList<string> SuiteTasks => ["fashion-retrieval"];
    public string MetricName => "NDCG@10";
    public bool HigherIsBetter => true;
    public IReadOnlyList<NamedLoss> Losses =>
    [
        new("ListwiseKl(T=1)", () => DistillationLoss.ListwiseKl(temperature: 1)),
        new("MarginMse()", () => DistillationLoss.MarginMse()),
    ];

    // The CSV: "GroupId" (the query; a key column, so ML.NET's ranking evaluator accepts it), "Label" (relevance grade;
    // NaN = not judged), then the (query, candidate) features.
    public TextLoader Loader(MLContext ml, TaskFolder task) => ml.Data.CreateTextLoader(
        [
            new TextLoader.Column("GroupId", DataKind.UInt32, [new TextLoader.Range(0)], new KeyCount(MaxGroups)),
            new TextLoader.Column("Label", DataKind.Single, 1),
            new TextLoader.Column("Features", DataKind.Single, 2, 1 + task.Features),
        ],
        separatorChar: ',', hasHeader: true);

    // The cross-encoder scores one (query, candidate) row: output [N,1] → "Teacher".
    public IEstimator<ITransformer> Distill(MLContext ml, TaskFolder task) => ml.Transforms.Distill("Teacher", "Features", task.Teacher.Path);

    public IEstimator<ITransformer> Trainer(MLContext ml, StudentOptions options) => ml.Ranking.Trainers.Student(options);

    public double Metric(MLContext ml, IDataView scored) => ml.Ranking.Evaluate(scored).NormalizedDiscountedCumulativeGains[9];

    public double TeacherMetric(MLContext ml, TaskFolder task, IDataView testWithTeachers)
    {
        var groups = Columns.Keys(testWithTeachers, "GroupId");
        var labels = Columns.Scalars(testWithTeachers, "Label");
        var scores = Columns.Vectors(testWithTeachers, "Teacher");
        var rows = Enumerable.Range(0, groups.Length).Select(i => new ScoredRow { GroupId = groups[i], Label = labels[i], Score = scores[i][0] });
        return ml.Ranking.Evaluate(ml.Data.LoadFromEnumerable(rows)).NormalizedDiscountedCumulativeGains[9];
    }

    public void Example(TaskFolder task, string outputDir)
    {
        var ml = new MLContext(seed: 1);

        // 1. Data: rows of a query share a GroupId.
        var loader = Loader(ml, task);
        IDataView train = loader.Load(task.Csv("train"));
        IDataView test = loader.Load(task.Csv("test"));

        // 2. Scratch (ListNet on the grades) and distilled students. RankingKd(T, α): (1−α)·ListNet on the grades + α·the
        //    KL between the teacher's and the student's softmax over each group; groups without grades learn from the
        //    teacher alone. Batches hold whole groups.
        var scratch = ml.Ranking.Trainers.Student(hiddenLayers: task.StudentHiddenLayers, seed: 1).Fit(train);
        var pipeline = ml.Transforms.Distill("Teacher", "Features", task.Teacher.Path)
            .Append(ml.Ranking.Trainers.Student(new StudentOptions
            {
                TeacherColumnName = "Teacher",
                RowGroupColumnName = "GroupId",
                Loss = DistillationLoss.RankingKd(temperature: 1, alpha: 0.5),
                HiddenLayers = task.StudentHiddenLayers,
                Seed = 1,
            }));
        var model = pipeline.Fit(train);
        StudentTransformer student = model.LastTransformer;

        // 3. Evaluate with ML.NET's ranking evaluator (NDCG@k for k = 1..10; its default gains are 0, 3, 7 for grades 0, 1, 2).
        var scored = model.Transform(test);
        var metrics = ml.Ranking.Evaluate(scored);
        var scratchMetrics = ml.Ranking.Evaluate(scratch.Transform(test));
        double teacherNdcg = TeacherMetric(ml, task, ml.Transforms.Distill("Teacher", "Features", task.Teacher.Path).Fit(test).Transform(test));
        Console.WriteLine($"{task.Name}: {task.Description}");
        Console.WriteLine($"  teacher   ({Path.GetFileName(task.Teacher.Path)}): NDCG@10 {teacherNdcg:F4}");
        Console.WriteLine($"  scratch   {student.Network} student: NDCG@1 {scratchMetrics.NormalizedDiscountedCumulativeGains[0]:F4}, @3 {scratchMetrics.NormalizedDiscountedCumulativeGains[2]:F4}, @10 {scratchMetrics.NormalizedDiscountedCumulativeGains[9]:F4}");
        Console.WriteLine($"  distilled {student.Network} student, {student.LossName}: NDCG@1 {metrics.NormalizedDiscountedCumulativeGains[0]:F4}, @3 {metrics.NormalizedDiscountedCumulativeGains[2]:F4}, @10 {metrics.NormalizedDiscountedCumulativeGains[9]:F4}");

        // 4–5. Save and load; export to ONNX (output score [B,1]) and check both.
        Shipping.SaveReloadExport(ml, model, student, train.Schema, test, scored, outputDir, task.Name, "score");
        scratch.Dispose();
        model.Dispose();
    }

    private sealed class ScoredRow
    {
        [KeyType(MaxGroups)]
        public uint GroupId { get; set; }
        public float Label { get; set; }
        public float Score { get; set; }
    }
}
