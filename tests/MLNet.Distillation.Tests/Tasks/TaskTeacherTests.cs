using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Tasks;

/// <summary>
/// Real ONNX teachers of each task (tools/make_task_data.py, Fixtures/tasks) through <c>Transforms.Distill</c> into the
/// binary, regression and ranking students: the teacher pass gives PyTorch's numbers, each teacher form (two softmax
/// probabilities, one sigmoid probability, a rank-1 output, several outputs, one score) reaches the student, and the
/// student learns the teacher from unlabelled rows.
/// </summary>
public class TaskTeacherTests
{
    private static string Task(string task, string file) => Fixture(Path.Combine("tasks", task, file));

    private static JsonElement Reference(string task, string teacher)
        => JsonDocument.Parse(File.ReadAllText(Fixture(Path.Combine("tasks", "tasks_reference.json")))).RootElement
            .GetProperty("tasks").GetProperty(task).GetProperty("teachers").GetProperty(teacher);

    /// <summary>Loads a fixture CSV: the label column(s) as <paramref name="labels"/> values, the features F0… as one vector.</summary>
    private static IDataView Load(MLContext ml, string task, string split, int features, int labels = 1, bool group = false, bool hideLabels = false)
    {
        var columns = new List<TextLoader.Column>();
        int at = 0;
        if (group) columns.Add(new TextLoader.Column("GroupId", DataKind.UInt32, at++));
        // Without labels (hideLabels) the label values go to another column: the student sees no label, only the teacher.
        var label = hideLabels ? "HiddenLabel" : "Label";
        columns.Add(labels == 1 ? new TextLoader.Column(label, DataKind.Single, at) : new TextLoader.Column(label, DataKind.Single, at, at + labels - 1));
        at += labels;
        columns.Add(new TextLoader.Column("Features", DataKind.Single, at, at + features - 1));
        var path = Task(task, $"{split}.csv");
        var header = File.ReadLines(path).First().Split(',');
        if (group) Assert.Equal("GroupId", header[0]);
        Assert.Equal($"F{features - 1}", header[^1]);
        return ml.Data.LoadFromTextFile(path, columns.ToArray(), separatorChar: ',', hasHeader: true);
    }

    private static float[] Column(IDataView data, string column) => data.Schema[column].Type is VectorDataViewType
        ? data.GetColumn<float[]>(column).SelectMany(v => v).ToArray()
        : data.GetColumn<float>(column).ToArray();

    [Theory]
    [InlineData("pima", "teacher.onnx", 8, 1)]
    [InlineData("pima", "teacher_sigmoid.onnx", 8, 1)]
    [InlineData("boston", "teacher.onnx", 12, 1)]
    [InlineData("digits-completion", "teacher_tough.onnx", 32, 26)]
    [InlineData("fashion-retrieval", "teacher.onnx", 392, 1)]
    public void TheTeacherPassGivesPyTorchsOutputs(string task, string teacher, int features, int labels)
    {
        var ml = new MLContext(seed: 1);
        var test = Load(ml, task, "test", features, labels, group: task == "fashion-retrieval");
        var distilled = ml.Transforms.Distill("Teacher", "Features", Task(task, teacher)).Fit(test).Transform(test);
        var expected = Reference(task, teacher).GetProperty("first_test_rows").EnumerateArray()
            .SelectMany(r => r.ValueKind == JsonValueKind.Array ? r.EnumerateArray().Select(v => v.GetSingle()) : [r.GetSingle()]).ToArray();
        var actual = Column(distilled, "Teacher").Take(expected.Length).ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i])), $"{task}/{teacher} value {i}: PyTorch {expected[i]}, ONNX {actual[i]}");
    }

    [Fact]
    public void ASoftmaxPairAndASigmoidTeacherGiveTheBinaryStudentTheSameLogits()
    {
        var ml = new MLContext(seed: 1);
        var train = Load(ml, "pima", "train", 8);
        var options = new StudentOptions { TeacherColumnName = "Teacher" };
        var softmax = TrainingSet.Load(ml.Transforms.Distill("Teacher", "Features", Task("pima", "teacher.onnx")).Fit(train).Transform(train), options, DistillationTask.BinaryClassification);
        var sigmoid = TrainingSet.Load(ml.Transforms.Distill("Teacher", "Features", Task("pima", "teacher_sigmoid.onnx")).Fit(train).Transform(train), options, DistillationTask.BinaryClassification);
        Assert.Equal(1, softmax.ClassCount);
        Assert.Equal(TeacherOutputKind.Logits, softmax.TeacherKind);
        for (int r = 0; r < softmax.Rows; r++)
        {
            float a = softmax.TeacherRow(r)[0], b = sigmoid.TeacherRow(r)[0];
            Assert.True(Math.Abs(a - b) <= 1e-3 * Math.Max(1, Math.Abs(a)), $"row {r}: {a} vs {b}");
        }
        // The log-odds of the teacher's probability, not the probability itself.
        Assert.Contains(Enumerable.Range(0, softmax.Rows), r => Math.Abs(softmax.TeacherRow(r)[0]) > 1);
    }

    [Fact]
    public void ABinaryStudentFollowsASigmoidTeacherOnRowsWithoutLabels()
    {
        var ml = new MLContext(seed: 1);
        var train = Load(ml, "pima", "train", 8, hideLabels: true);
        var test = Load(ml, "pima", "test", 8);
        var pipeline = ml.Transforms.Distill("Teacher", "Features", Task("pima", "teacher_sigmoid.onnx"))
            .Append(ml.BinaryClassification.Trainers.Student(new StudentOptions { TeacherColumnName = "Teacher", HiddenLayers = [32], Epochs = 150, Seed = 1 }));
        using var model = pipeline.Fit(train);
        var scored = model.Transform(ml.Transforms.Distill("TeacherTest", "Features", Task("pima", "teacher_sigmoid.onnx")).Fit(test).Transform(test));
        var student = scored.GetColumn<bool>("PredictedLabel").ToArray();
        var teacher = scored.GetColumn<float[]>("TeacherTest").Select(p => p[0] > 0.5f).ToArray();
        double agreement = student.Zip(teacher).Count(p => p.First == p.Second) / (double)student.Length;
        Assert.True(agreement >= 0.85, $"agreement with the teacher on test rows {agreement}");
        Assert.Equal(100, ml.BinaryClassification.Evaluate(scored).ConfusionMatrix.Counts.Sum(r => r.Sum()), 0);
    }

    [Fact]
    public void ARegressionStudentLearnsARankOneTeacherInDollars()
    {
        var ml = new MLContext(seed: 1);
        var train = Load(ml, "boston", "train", 12, hideLabels: true);
        var test = Load(ml, "boston", "test", 12);
        var teacher = ml.Transforms.Distill("Teacher", "Features", Task("boston", "teacher.onnx"));
        using var model = teacher.Append(ml.Regression.Trainers.Student(new StudentOptions { TeacherColumnName = "Teacher", HiddenLayers = [32], Epochs = 150, Seed = 1 })).Fit(train);
        var scored = model.Transform(test);
        var s = scored.GetColumn<float>("Score").ToArray();
        var t = scored.GetColumn<float[]>("Teacher").Select(v => v[0]).ToArray();
        double rmse = Math.Sqrt(s.Zip(t).Average(p => (p.First - p.Second) * (p.First - p.Second)));
        Assert.True(rmse < 3.5, $"student–teacher RMSE {rmse} ($1000s)");
        Assert.True(ml.Regression.Evaluate(scored).RSquared > 0.5);
    }

    [Fact]
    public void ATolerantAndAToughTeacherTrainAMultiOutputStudent()
    {
        var ml = new MLContext(seed: 1);
        var train = Load(ml, "digits-completion", "train", 32, 26);
        var test = Load(ml, "digits-completion", "test", 32, 26);
        var pipeline = ml.Transforms.Distill("Tolerant", "Features", Task("digits-completion", "teacher_tolerant.onnx"))
            .Append(ml.Transforms.Distill("Tough", "Features", Task("digits-completion", "teacher_tough.onnx")))
            .Append(ml.Regression.Trainers.Student(new StudentOptions
            {
                TeacherColumnNames = ["Tolerant", "Tough"], Loss = DistillationLoss.TolerantTough(), HiddenLayers = [64], Epochs = 100, Seed = 1,
            }));
        using var model = pipeline.Fit(train);
        var metrics = ml.Regression.EvaluateMultiOutput(model.Transform(test));
        Assert.Equal(26, metrics.Count);
        double meanRmse = metrics.Average(m => m.RootMeanSquaredError);
        Assert.True(meanRmse < 0.3, $"mean per-output RMSE {meanRmse} (pixels / 16; the teachers reach about 0.19–0.21)");
    }

    [Fact]
    public void ARankingStudentOrdersEachQuerysRowsAsItsTeacherDoes()
    {
        var ml = new MLContext(seed: 1);
        var train = Load(ml, "fashion-retrieval", "train", 392, group: true, hideLabels: true);
        var test = Load(ml, "fashion-retrieval", "test", 392, group: true);
        var pipeline = ml.Transforms.Distill("Teacher", "Features", Task("fashion-retrieval", "teacher.onnx"))
            .Append(ml.Ranking.Trainers.Student(new StudentOptions { TeacherColumnName = "Teacher", HiddenLayers = [32], Epochs = 200, Seed = 1, BatchSize = 40 }));
        using var model = pipeline.Fit(train);
        var scored = model.Transform(test);
        var s = scored.GetColumn<float>("Score").ToArray();
        var t = scored.GetColumn<float[]>("Teacher").Select(v => v[0]).ToArray();
        var g = scored.GetColumn<uint>("GroupId").ToArray();
        long pairs = 0, agreeing = 0;
        for (int a = 0; a < s.Length; a++)
            for (int b = a + 1; b < s.Length; b++)
                if (g[a] == g[b] && t[a] != t[b]) { pairs++; if ((s[a] > s[b]) == (t[a] > t[b])) agreeing++; }
        Assert.True(agreeing / (double)pairs > 0.7, $"pairs ordered as the teacher orders them: {agreeing}/{pairs}");
        var keyed = ml.Transforms.Conversion.MapValueToKey("GroupId").Fit(scored).Transform(scored);
        Assert.InRange(ml.Ranking.Evaluate(keyed).NormalizedDiscountedCumulativeGains[9], 0.0, 1.0);
    }
}
