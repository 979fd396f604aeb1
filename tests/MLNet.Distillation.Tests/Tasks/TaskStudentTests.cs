using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNet.Distillation.Export;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using TorchSharp;

namespace MLNet.Distillation.Tests.Tasks;

/// <summary>
/// The binary, regression and ranking students end to end: trained from a teacher column, scored by ML.NET's stock
/// evaluators, saved and loaded as stock ML.NET parts, exported to ONNX with the TorchSharp forward pass's numbers.
/// </summary>
public class TaskStudentTests
{
    private static StudentOptions Options(string? teacher, int epochs = 40) => new()
    {
        TeacherColumnName = teacher, HiddenLayers = [32], Epochs = epochs, BatchSize = 32, Seed = 3, LearningRate = 3e-3,
    };

    [Fact]
    public void ABinaryStudentWritesWhatBinaryClassificationEvaluateReads()
    {
        var ml = new MLContext(seed: 1);
        var train = TaskData.Binary(ml, 600, 1);
        var test = TaskData.Binary(ml, 400, 2);
        using var student = ml.BinaryClassification.Trainers.Student(Options("Teacher")).Fit(train);
        Assert.Equal(DistillationTask.BinaryClassification, student.Task);
        var scored = student.Transform(test);
        Assert.Equal(NumberDataViewType.Single, scored.Schema["Score"].Type);
        Assert.Equal(NumberDataViewType.Single, scored.Schema["Probability"].Type);
        Assert.Equal(BooleanDataViewType.Instance, scored.Schema["PredictedLabel"].Type);

        var metrics = ml.BinaryClassification.Evaluate(scored);
        Assert.True(metrics.Accuracy > 0.85, $"accuracy {metrics.Accuracy}");
        Assert.True(metrics.AreaUnderRocCurve > 0.9, $"AUC {metrics.AreaUnderRocCurve}");

        // Probability is the sigmoid of Score, PredictedLabel its sign.
        var scores = scored.GetColumn<float>("Score").ToArray();
        var probabilities = scored.GetColumn<float>("Probability").ToArray();
        var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
        for (int i = 0; i < scores.Length; i++)
        {
            Assert.Equal(1 / (1 + Math.Exp(-scores[i])), probabilities[i], 1e-5);
            Assert.Equal(scores[i] > 0, predicted[i]);
        }
    }

    [Fact]
    public void ABinaryStudentLearnsUnlabelledRowsFromATwoProbabilityTeacher()
    {
        var ml = new MLContext(seed: 1);
        var train = TaskData.PartlyLabelledBinary(ml, 800, 0.05, 1);
        var test = TaskData.Binary(ml, 400, 2);
        using var distilled = ml.BinaryClassification.Trainers.Student(Options("Teacher")).Fit(train);
        using var scratch = ml.BinaryClassification.Trainers.Student(Options(null)).Fit(train);
        double d = ml.BinaryClassification.Evaluate(distilled.Transform(test)).Accuracy;
        double s = ml.BinaryClassification.Evaluate(scratch.Transform(test)).Accuracy;
        Assert.True(d > s + 0.03, $"distilled {d} vs scratch {s} with 5% labels");
        Assert.True(d > 0.85, $"distilled {d}");
    }

    [Fact]
    public void ARegressionStudentPredictsInTheTargetsUnits()
    {
        var ml = new MLContext(seed: 1);
        var train = TaskData.Regression(ml, 800, 1);
        var test = TaskData.Regression(ml, 400, 2);
        using var student = ml.Regression.Trainers.Student(Options("Teacher")).Fit(train);
        var scored = student.Transform(test);
        Assert.Equal(NumberDataViewType.Single, scored.Schema["Score"].Type);
        var metrics = ml.Regression.Evaluate(scored);
        Assert.True(metrics.RSquared > 0.9, $"R² {metrics.RSquared}, RMSE {metrics.RootMeanSquaredError}");
        Assert.InRange(scored.GetColumn<float>("Score").Average(), 4000, 6000);
        Assert.True(student.History[^1].LossTerms.Count > 0);
    }

    [Fact]
    public void AMultiOutputRegressionStudentScoresAVectorEvaluatedOutputByOutput()
    {
        var ml = new MLContext(seed: 1);
        var train = TaskData.MultiOutput(ml, 800, 1);
        var test = TaskData.MultiOutput(ml, 300, 2);
        using var student = ml.Regression.Trainers.Student(Options("Teacher", 60)).Fit(train);
        var scored = student.Transform(test);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), scored.Schema["Score"].Type);
        var metrics = ml.Regression.EvaluateMultiOutput(scored);
        Assert.Equal(3, metrics.Count);
        Assert.All(metrics, m => Assert.True(m.RSquared > 0.8, $"R² {m.RSquared}"));
        // Output 1 is 10·x₅ − 3: its error is in its own units, unlike output 2's.
        Assert.NotEqual(metrics[1].RootMeanSquaredError, metrics[2].RootMeanSquaredError);
    }

    [Fact]
    public void ARankingStudentWritesWhatRankingEvaluateReads()
    {
        var ml = new MLContext(seed: 1);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("GroupId");
        var trainRaw = TaskData.Ranking(ml, 80, 1);
        var keys = pipeline.Fit(trainRaw);
        var train = keys.Transform(trainRaw);
        var test = keys.Transform(TaskData.Ranking(ml, 40, 2));
        using var student = ml.Ranking.Trainers.Student(Options("Teacher", 60)).Fit(train);
        var scored = student.Transform(test);
        var metrics = ml.Ranking.Evaluate(scored);
        Assert.True(metrics.NormalizedDiscountedCumulativeGains[9] > 0.85, $"NDCG@10 {metrics.NormalizedDiscountedCumulativeGains[9]}");
        Assert.True(student.History.Count > 0);
    }

    [Fact]
    public void TheValidationNdcgIsWhatRankingEvaluateReportsForTheKeptEpoch()
    {
        var ml = new MLContext(seed: 1);
        var keys = ml.Transforms.Conversion.MapValueToKey("GroupId").Fit(TaskData.Ranking(ml, 60, 1));
        var train = keys.Transform(TaskData.Ranking(ml, 60, 1));
        // ML.NET's evaluator reads a group as a run of contiguous rows, so the validation rows keep theirs together.
        var validation = keys.Transform(TaskData.Ranking(ml, 30, 2, contiguous: true));
        using var student = ml.Ranking.Trainers.Student(Options("Teacher", 8)).Fit(train, validation);
        var kept = student.History.Last(h => h.IsBest);
        double evaluated = ml.Ranking.Evaluate(student.Transform(validation)).NormalizedDiscountedCumulativeGains[9];
        Assert.Equal(evaluated, kept.ValidationNdcg, 1e-5);
    }

    public static TheoryData<string> Tasks => new() { "binary", "regression", "multi-output", "ranking" };

    [Theory]
    [MemberData(nameof(Tasks))]
    public void SavedStudentsLoadAsStockMlNetPartsAndScoreTheSame(string task)
    {
        var ml = new MLContext(seed: 1);
        var (data, trainer) = Setup(ml, task);
        using var student = trainer.Fit(data);
        using var folder = new TempFolder();
        var path = folder.File("student.zip");
        ml.Model.Save(student, data.Schema, path);
        using var loaded = (IDisposable)ml.Model.LoadStudent(path, out _);
        var before = Scores(student.Transform(data));
        var after = Scores(((ITransformer)loaded).Transform(data));
        Assert.Equal(before, after);
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void ExportedOnnxMatchesTheTorchSharpForwardPassAndTheMlNetScore(string task)
    {
        var ml = new MLContext(seed: 1);
        var (data, trainer) = Setup(ml, task);
        using var student = trainer.Fit(data);
        using var folder = new TempFolder();
        var path = folder.File("student.onnx");
        student.ExportToOnnx(path);

        var features = data.GetColumn<float[]>("Features").ToArray();
        int n = features.Length, k = student.Network.NumClasses;
        var flat = features.SelectMany(r => r).ToArray();
        using var module = MlpStudent.FromNetwork(student.Network);
        module.eval();
        using var scope = torch.NewDisposeScope();
        var torchOut = module.forward(torch.tensor(flat, [n, TaskData.FeatureCount])).data<float>().ToArray();

        using var session = new InferenceSession(path);
        using var input = OrtValue.CreateTensorValueFromMemory(flat, [n, TaskData.FeatureCount]);
        string first = task == "binary" ? StudentOnnxExporter.LogitOutput : StudentOnnxExporter.ScoreOutput;
        using var outputs = session.Run(new RunOptions(), [StudentOnnxExporter.InputName], [input], [first]);
        var onnxOut = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.Equal(n * k, onnxOut.Length);
        for (int i = 0; i < onnxOut.Length; i++)
            Assert.True(Math.Abs(torchOut[i] - onnxOut[i]) <= 1e-5 * Math.Max(1, Math.Abs(torchOut[i])), $"output {i}: TorchSharp {torchOut[i]} vs ONNX {onnxOut[i]}");

        var mlnet = Scores(student.Transform(data));
        for (int i = 0; i < onnxOut.Length; i++)
            Assert.True(Math.Abs(mlnet[i] - onnxOut[i]) <= 1e-5 * Math.Max(1, Math.Abs(onnxOut[i])), $"Score {i}: ML.NET {mlnet[i]} vs ONNX {onnxOut[i]}");

        if (task == "binary")
        {
            using var all = session.Run(new RunOptions(), [StudentOnnxExporter.InputName], [input],
                [StudentOnnxExporter.ProbabilityOutput, StudentOnnxExporter.PredictedLabelOutput]);
            var p = all[0].GetTensorDataAsSpan<float>().ToArray();
            var label = all[1].GetTensorDataAsSpan<long>().ToArray();
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(1 / (1 + Math.Exp(-onnxOut[i])), p[i], 1e-6);
                Assert.Equal(onnxOut[i] > 0 ? 1 : 0, label[i]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void ARowWithANonFiniteFeatureScoresNaNNotAConfidentAnswer(string task)
    {
        var ml = new MLContext(seed: 1);
        var (data, trainer) = Setup(ml, task);
        using var student = trainer.Fit(data);
        var rows = data.GetColumn<float[]>("Features").Take(3).Select(f => f.ToArray()).ToArray();
        rows[1][2] = float.NaN;
        rows[2][0] = float.PositiveInfinity;
        var probe = ml.Data.LoadFromEnumerable(rows.Select(f => new TaskData.RegressionRow { Features = f, Label = 0, Teacher = [0] }).ToArray());
        var scores = student.Network.NumClasses == 1
            ? student.Transform(probe).GetColumn<float>("Score").Select(v => new[] { v }).ToArray()
            : student.Transform(probe).GetColumn<float[]>("Score").ToArray();
        Assert.All(scores[0], v => Assert.True(float.IsFinite(v)));
        Assert.All(scores[1], v => Assert.True(float.IsNaN(v)));
        Assert.All(scores[2], v => Assert.True(float.IsNaN(v)));
        if (task == "binary")
        {
            var scored = student.Transform(probe);
            Assert.True(float.IsNaN(scored.GetColumn<float>("Probability").ElementAt(1)));
            Assert.False(scored.GetColumn<bool>("PredictedLabel").ElementAt(1));
        }
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void ASavedModelGivesBackTheStandaloneOnnxOfTheStudent(string task)
    {
        var ml = new MLContext(seed: 1);
        var (data, trainer) = Setup(ml, task);
        using var student = trainer.Fit(data);
        using var folder = new TempFolder();
        ml.Model.Save(student, data.Schema, folder.File("student.zip"));
        student.ExportToOnnx(folder.File("direct.onnx"));
        var (network, names) = SavedStudent.Read(folder.File("student.zip"));
        Assert.Equal(student.Task, network.Task);
        Assert.Equal(student.ClassNames, names);
        StudentOnnxExporter.Save(network, folder.File("read.onnx"), StudentOnnxExporter.InputName, names);

        var x = data.GetColumn<float[]>("Features").Take(20).SelectMany(v => v).ToArray();
        string output = task == "binary" ? StudentOnnxExporter.LogitOutput : StudentOnnxExporter.ScoreOutput;
        float[] Run(string file)
        {
            using var session = new InferenceSession(file);
            using var input = OrtValue.CreateTensorValueFromMemory(x, [20, TaskData.FeatureCount]);
            using var outputs = session.Run(new RunOptions(), [StudentOnnxExporter.InputName], [input], [output]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        var direct = Run(folder.File("direct.onnx"));
        var read = Run(folder.File("read.onnx"));
        for (int i = 0; i < direct.Length; i++) Assert.True(Math.Abs(direct[i] - read[i]) <= 1e-5 * Math.Max(1, Math.Abs(direct[i])), $"{output} {i}: {direct[i]} vs {read[i]}");
    }

    [Fact]
    public void ARegressionLossThatPredictsThroughASigmoidExportsTheSigmoid()
    {
        var ml = new MLContext(seed: 1);
        var rng = new Random(4);
        var rows = Enumerable.Range(0, 400).Select(_ =>
        {
            var x = Enumerable.Range(0, TaskData.FeatureCount).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            float y = (float)(1 / (1 + Math.Exp(-2 * TaskData.Rule(x))));
            return new TaskData.RegressionRow { Features = x, Label = y, Teacher = [y] };
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = Options("Teacher");
        options.Loss = DistillationLoss.BernoulliKl();
        using var student = ml.Regression.Trainers.Student(options).Fit(data);
        Assert.True(student.Network.OutputsThroughSigmoid);
        var scores = student.Transform(data).GetColumn<float>("Score").ToArray();
        Assert.All(scores, s => Assert.InRange(s, 0f, 1f));
        Assert.True(ml.Regression.Evaluate(student.Transform(data)).RSquared > 0.8);
        using (var folder = new TempFolder())
        {
            ml.Model.Save(student, data.Schema, folder.File("student.zip"));
            Assert.True(SavedStudent.Read(folder.File("student.zip")).Network.OutputsThroughSigmoid);
        }

        var bad = ml.Data.LoadFromEnumerable(rows.Select(r => new TaskData.RegressionRow { Features = r.Features, Label = r.Label * 3, Teacher = r.Teacher }).ToArray());
        var e = Assert.Throws<ArgumentException>(() => ml.Regression.Trainers.Student(options).Fit(bad));
        Assert.Contains("label column 'Label'", e.Message);
        Assert.Contains("[0, 1]", e.Message);
    }

    [Fact]
    public void ALossOfAnotherTaskIsRefusedWithTheLossesThatFit()
    {
        var ml = new MLContext(seed: 1);
        var options = Options("Teacher");
        options.Loss = DistillationLoss.Hinton();
        var e = Assert.Throws<ArgumentException>(() => ml.Regression.Trainers.Student(options).Fit(TaskData.Regression(ml, 50, 1)));
        Assert.Contains("not Regression", e.Message);
        Assert.Contains("RegressionKd", e.Message);
    }

    [Fact]
    public void BadTaskInputsGetMessagesThatNameTheColumn()
    {
        var ml = new MLContext(seed: 1);
        // A multi-output teacher for a single-output label.
        var multi = TaskData.MultiOutput(ml, 50, 1);
        var wrongWidth = ml.Transforms.Concatenate("OneLabel", "Features").Append(ml.Transforms.SelectColumns("Features", "Teacher"))
            .Fit(multi).Transform(multi);
        var options = Options("Teacher");
        var e1 = Assert.Throws<ArgumentException>(() => ml.Regression.Trainers.Student(new StudentOptions { TeacherColumnName = "Teacher", LabelColumnName = "Features", Epochs = 1 }).Fit(multi));
        Assert.Contains("'Features'", e1.Message);
        Assert.Contains("'Teacher'", e1.Message);

        // A ranking student without its group column.
        var e2 = Assert.Throws<ArgumentException>(() => ml.Ranking.Trainers.Student(options).Fit(TaskData.Regression(ml, 50, 1)));
        Assert.Contains("Group column 'GroupId'", e2.Message);

        // A binary Single label that is neither 0, 1 nor NaN.
        var e3 = Assert.Throws<ArgumentException>(() => ml.BinaryClassification.Trainers.Student(options).Fit(TaskData.Regression(ml, 50, 1)));
        Assert.Contains("label column 'Label'", e3.Message);
        Assert.Contains("0, 1 or NaN", e3.Message);

        // A three-value teacher for a binary student.
        var e4 = Assert.Throws<ArgumentException>(() => ml.BinaryClassification.Trainers.Student(new StudentOptions { TeacherColumnName = "Teacher", LabelColumnName = "Teacher", Epochs = 1 }).Fit(wrongWidth));
        Assert.Contains("'Teacher'", e4.Message);
    }

    private static (IDataView Data, StudentTrainer Trainer) Setup(MLContext ml, string task) => task switch
    {
        "binary" => (TaskData.Binary(ml, 300, 1), ml.BinaryClassification.Trainers.Student(Options("Teacher", 5))),
        "regression" => (TaskData.Regression(ml, 300, 1), ml.Regression.Trainers.Student(Options("Teacher", 5))),
        "multi-output" => (TaskData.MultiOutput(ml, 300, 1), ml.Regression.Trainers.Student(Options("Teacher", 5))),
        _ => (ml.Transforms.Conversion.MapValueToKey("GroupId").Fit(TaskData.Ranking(ml, 20, 1)).Transform(TaskData.Ranking(ml, 20, 1)),
            ml.Ranking.Trainers.Student(Options("Teacher", 5))),
    };

    private static float[] Scores(IDataView scored) => scored.Schema["Score"].Type is VectorDataViewType
        ? scored.GetColumn<float[]>("Score").SelectMany(v => v).ToArray()
        : scored.GetColumn<float>("Score").ToArray();
}
