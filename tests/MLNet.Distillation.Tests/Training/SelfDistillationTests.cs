using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Training;

public class SelfDistillationTests
{
    // ---- the mean teacher's moving average ------------------------------------------------

    private static MlpStudent Tiny(int seed)
    {
        manual_seed(seed);
        return new MlpStudent(3, [4], 2, StudentActivation.Relu, 0, [], null, null);
    }

    private static double[][] Weights(MlpStudent m) => m.parameters().Select(p => p.detach().data<float>().Select(v => (double)v).ToArray()).ToArray();

    /// <summary>Sets every weight of <paramref name="m"/> to fresh random values (a stand-in for an optimiser step).</summary>
    private static void Perturb(MlpStudent m, int seed)
    {
        var g = new Random(seed);
        using var _ = no_grad();
        foreach (var p in m.parameters())
            p.copy_(tensor(Enumerable.Range(0, (int)p.numel()).Select(_ => (float)(g.NextDouble() * 2 - 1)).ToArray()).reshape(p.shape));
    }

    [Fact]
    public void EmaUpdateFollowsTheFormulaWithTheReferenceWarmUp()
    {
        using var student = Tiny(1);
        using var mean = new MeanTeacher(student, decay: 0.6, inputNoise: 0, featureStd: [1f, 1f, 1f], keepTeacher: true, seed: 1);
        var expected = Weights(student);   // the teacher starts as the student
        for (int t = 1; t <= 4; t++)
        {
            Perturb(student, 10 + t);
            double d = Math.Min(0.6, 1 - 1.0 / (t + 1));   // 0.5, then 0.6 (2/3 and 3/4 are capped)
            Assert.Equal(d, mean.NextDecay, 12);
            var s = Weights(student);
            for (int i = 0; i < expected.Length; i++)
                for (int j = 0; j < expected[i].Length; j++)
                    expected[i][j] = d * expected[i][j] + (1 - d) * s[i][j];
            mean.Update();
            var actual = Weights(mean.Network);
            for (int i = 0; i < expected.Length; i++)
                for (int j = 0; j < expected[i].Length; j++)
                    Assert.Equal(expected[i][j], actual[i][j], 5);
        }
        Assert.Equal(4, mean.Updates);
        Assert.Same(mean.Network, mean.Kept(student));
    }

    [Fact]
    public void WithDecayZeroTheMeanTeacherIsTheStudent()
    {
        using var student = Tiny(2);
        using var mean = new MeanTeacher(student, decay: 0, inputNoise: 0, featureStd: [1f, 1f, 1f], keepTeacher: false, seed: 1);
        Perturb(student, 5);
        mean.Update();
        Assert.Equal(Weights(student), Weights(mean.Network));
        using var x = tensor(new float[] { 0.5f, -1f, 2f, 3f, 0f, -0.25f }).reshape(2, 3);
        student.eval();
        Assert.Equal(student.forward(x).data<float>().ToArray(), mean.Teach(x).data<float>().ToArray());
        Assert.Same(student, mean.Kept(student));
        Assert.Same(x, mean.StudentView(x));   // no noise: the student sees the clean rows
    }

    [Fact]
    public void StudentViewAddsNoiseScaledByEachFeaturesDeviation()
    {
        using var student = Tiny(3);
        using var mean = new MeanTeacher(student, decay: 0.99, inputNoise: 0.5, featureStd: [0f, 2f, 10f], keepTeacher: true, seed: 4);
        using var x = zeros(20000, 3);
        var noisy = mean.StudentView(x);
        var std = noisy.std(0).data<float>().ToArray();
        Assert.Equal(0f, std[0]);              // a constant feature stays constant
        Assert.Equal(1.0, std[1], 1);          // 0.5 × 2
        Assert.Equal(5.0, std[2], 1);          // 0.5 × 10
    }

    // ---- the default mean-teacher loss -----------------------------------------------------

    [Fact]
    public void MeanTeacherLossIsLabelCrossEntropyPlusSymmetricConsistencyOnTheLessConfidentRows()
    {
        var s = new float[] { 1, 0, -1, 0.2f, 0.1f, 0, -2, 3, 0.5f, 0, 0, 0 };
        var t = new float[] { 4, 0, 0, 0.1f, 0, 0.2f, 0, 5, 0, 1, 1, 0.9f };
        using var student = tensor(s).reshape(4, 3);
        using var teacher = tensor(t).reshape(4, 3);
        using var labels = tensor(new long[] { 0, -1, 1, -1 });
        var loss = new MeanTeacherLoss(consistencyWeight: 2, rampUp: 0, symmetric: true, maskEasyFraction: 0.5);
        var terms = loss.Compute(new LossContext { StudentLogits = student, Teacher = teacher, Labels = labels });
        var values = terms.ToValues().ToDictionary(kv => kv.Key, kv => kv.Value);

        static double[] Softmax(float[] v, int row) { var e = v.Skip(3 * row).Take(3).Select(z => Math.Exp(z)).ToArray(); return e.Select(z => z / e.Sum()).ToArray(); }
        double ce = (-Math.Log(Softmax(s, 0)[0]) - Math.Log(Softmax(s, 2)[1])) / 2;
        Assert.Equal(ce, values["ce"], 4);
        // The teacher is most confident on rows 0 and 2 (top probabilities 0.96 and 0.99): half the batch, masked.
        double Sce(int r) { var p = Softmax(t, r); var q = Softmax(s, r); return Enumerable.Range(0, 3).Sum(k => -0.5 * p[k] * Math.Log(q[k]) - 0.5 * q[k] * Math.Log(p[k])); }
        Assert.Equal(2 * (Sce(1) + Sce(3)) / 2, values["mt_consistency"], 4);
    }

    [Fact]
    public void MeanTeacherLossGradientMatchesCentralDifferencesOfTheFormula()
    {
        var s = new double[] { 1, 0, -1, 0.2, 0.1, 0, -2, 3, 0.5, 0, 0, 0 };
        var t = new double[] { 4, 0, 0, 0.1, 0, 0.2, 0, 5, 0, 1, 1, 0.9 };
        long[] y = [0, -1, 1, -1];
        using var student = tensor(s, [4, 3], ScalarType.Float64).requires_grad_();
        using var teacher = tensor(t, [4, 3], ScalarType.Float64);
        using var labels = tensor(y);
        var loss = new MeanTeacherLoss(consistencyWeight: 2, rampUp: 0, symmetric: true, maskEasyFraction: 0.5);
        loss.Compute(new LossContext { StudentLogits = student, Teacher = teacher, Labels = labels }).Total.backward();
        var grad = student.grad!.data<double>().ToArray();

        // The formula written out in doubles: CE on the labelled rows 0 and 2, symmetric CE on rows 1 and 3 (the teacher's
        // least confident half), weight 2.
        static double[] Softmax(double[] v, int row) { var e = v.Skip(3 * row).Take(3).Select(Math.Exp).ToArray(); return e.Select(z => z / e.Sum()).ToArray(); }
        double Formula(double[] v)
        {
            double ce = (-Math.Log(Softmax(v, 0)[0]) - Math.Log(Softmax(v, 2)[1])) / 2;
            double Sce(int r) { var p = Softmax(t, r); var q = Softmax(v, r); return Enumerable.Range(0, 3).Sum(k => -0.5 * p[k] * Math.Log(q[k]) - 0.5 * q[k] * Math.Log(p[k])); }
            return ce + 2 * (Sce(1) + Sce(3)) / 2;
        }
        for (int i = 0; i < s.Length; i++)
        {
            var up = (double[])s.Clone(); up[i] += 1e-6;
            var down = (double[])s.Clone(); down[i] -= 1e-6;
            Assert.Equal((Formula(up) - Formula(down)) / 2e-6, grad[i], 6);
        }
    }

    [Fact]
    public void MeanTeacherLossKlFormAndRampUp()
    {
        using var student = tensor(new float[] { 0.3f, -0.2f }).reshape(2, 1);
        using var teacher = tensor(new float[] { 1.5f, -1f }).reshape(2, 1);
        using var labels = tensor(new long[] { 1, -1 });
        using var targets = tensor(new float[] { 1, 0 }).reshape(2, 1);
        var loss = new MeanTeacherLoss(consistencyWeight: 1, rampUp: 0.5, symmetric: false);
        var ctx = new LossContext { StudentLogits = student, Teacher = teacher, Labels = labels, Targets = targets, Task = DistillationTask.BinaryClassification, Epoch = 10, TotalEpochs = 10 };
        var values = loss.Compute(ctx).ToValues().ToDictionary(kv => kv.Key, kv => kv.Value);
        static double Sig(double z) => 1 / (1 + Math.Exp(-z));
        Assert.Equal(-Math.Log(Sig(0.3)), values["bce"], 4);
        double Kl(double zt, double zs) { double p = Sig(zt), q = Sig(zs); return p * Math.Log(p / q) + (1 - p) * Math.Log((1 - p) / (1 - q)); }
        Assert.Equal((Kl(1.5, 0.3) + Kl(-1, -0.2)) / 2, values["mt_consistency"], 4);
        // Tarvainen and Valpola's sigmoid ramp-up over the first half of 10 epochs.
        Assert.Equal(Math.Exp(-5), loss.WeightAt(0, 10), 9);
        Assert.Equal(Math.Exp(-5 * 0.4 * 0.4), loss.WeightAt(3, 10), 9);
        Assert.Equal(1, loss.WeightAt(5, 10), 9);
    }

    // ---- fits --------------------------------------------------------------------------------

    public sealed class Row
    {
        [VectorType(FeatureCount)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    public sealed class BinaryRow
    {
        [VectorType(FeatureCount)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    private const int FeatureCount = 6;
    private static readonly string[] Classes = ["a", "b", "c"];

    /// <summary>
    /// Three interleaved spirals arms in the first two features (the class is the arm), four noise features. Labels are
    /// kept on <paramref name="labelled"/> of the rows; the rest get an empty label (a missing key).
    /// </summary>
    private static Row[] Spirals(int rows, double labelled, int seed)
    {
        var g = new Random(seed);
        return Enumerable.Range(0, rows).Select(i =>
        {
            int c = i % 3;
            double r = 0.2 + g.NextDouble(), angle = 2 * Math.PI * c / 3 + 2.5 * r;
            var f = new float[FeatureCount];
            f[0] = (float)(r * Math.Cos(angle) + 0.04 * Gaussian(g));
            f[1] = (float)(r * Math.Sin(angle) + 0.04 * Gaussian(g));
            for (int j = 2; j < FeatureCount; j++) f[j] = (float)Gaussian(g);
            return new Row { Features = f, Label = g.NextDouble() < labelled ? Classes[c] : "" };
        }).ToArray();
    }

    private static double Gaussian(Random g) => Math.Sqrt(-2 * Math.Log(1 - g.NextDouble())) * Math.Cos(2 * Math.PI * g.NextDouble());

    private static IEstimator<ITransformer> LabelToKey(MLContext ml)
        => ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(Classes.Select(c => new TestData.ClassName { Value = c })));

    private static StudentOptions Options(SelfDistillationOptions? sd, int seed) => new()
    {
        HiddenLayers = [32], BatchSize = 64, LearningRate = 3e-3, Epochs = 1, MinimumSteps = 1000, Seed = seed, SelfDistillation = sd,
    };

    private static double Accuracy(MLContext ml, StudentOptions o, Row[] train, Row[] test)
    {
        var model = LabelToKey(ml).Append(ml.MulticlassClassification.Trainers.Student(o)).Fit(ml.Data.LoadFromEnumerable(train));
        return ml.MulticlassClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(test))).MicroAccuracy;
    }

    [Fact]
    public void MeanTeacherWithFivePercentLabelsBeatsScratchWithTheSameLabelsAndSteps()
    {
        var ml = new MLContext(seed: 1);
        var test = Spirals(900, 1, seed: 99);
        double scratch = 0, mean = 0;
        foreach (int seed in new[] { 1, 2 })
        {
            var train = Spirals(1200, 0.05, seed);
            scratch += Accuracy(ml, Options(null, seed), train.Where(r => r.Label != "").ToArray(), test) / 2;
            mean += Accuracy(ml, Options(new SelfDistillationOptions(), seed), train, test) / 2;
        }
        Assert.True(mean > scratch + 0.02, $"mean teacher {mean:P1} vs scratch {scratch:P1} with 5 % labels");
    }

    [Fact]
    public void MeanTeacherFitLogsItsTermsAndKeepsTheTeacher()
    {
        var ml = new MLContext(seed: 1);
        var o = Options(new SelfDistillationOptions(), 3);
        o.MinimumSteps = 40;
        var model = LabelToKey(ml).Append(ml.MulticlassClassification.Trainers.Student(o)).Fit(ml.Data.LoadFromEnumerable(Spirals(300, 0.2, 3)));
        var student = ((IEnumerable<ITransformer>)model).OfType<StudentTransformer>().Single();
        Assert.StartsWith("mean-teacher(w=1,sce)", student.LossName);
        Assert.Equal(["ce", "mt_consistency"], student.History[0].LossTerms.Keys.Order());
    }

    [Fact]
    public void BinaryStudentsSelfDistilWithBothTeachers()
    {
        var ml = new MLContext(seed: 1);
        var rows = Spirals(600, 1, 5).Select((r, i) => new BinaryRow { Features = r.Features, Label = i % 4 == 0 ? (r.Label == "a" ? 1f : 0f) : float.NaN }).ToArray();
        var test = Spirals(300, 1, 6).Select(r => new BinaryRow { Features = r.Features, Label = r.Label == "a" ? 1f : 0f }).ToArray();
        foreach (var sd in new[] { new SelfDistillationOptions(), new SelfDistillationOptions { Mode = SelfDistillationMode.RandomTeacher } })
        {
            var o = Options(sd, 1);
            o.MinimumSteps = 600;
            var model = ml.BinaryClassification.Trainers.Student(o).Fit(ml.Data.LoadFromEnumerable(rows));
            var metrics = ml.BinaryClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(test)));
            Assert.True(metrics.Accuracy > 0.8, $"{sd.Mode}: accuracy {metrics.Accuracy:P1} (a third of the rows are positive)");
        }
    }

    [Fact]
    public void RandomTeacherPhaseLowersItsRepresentationLossAndLeavesTheRestOfTheSteps()
    {
        var ml = new MLContext(seed: 1);
        var o = Options(new SelfDistillationOptions { Mode = SelfDistillationMode.RandomTeacher, RandomTeacherFraction = 0.5, RandomTeacherOutputs = 256 }, 1);
        var data = LabelToKey(ml).Fit(ml.Data.LoadFromEnumerable(Spirals(640, 0.05, 1))).Transform(ml.Data.LoadFromEnumerable(Spirals(640, 0.05, 1)));
        var set = TrainingSet.Load(data, o);
        using var batches = new InMemoryBatches(set, o.BatchSize);
        manual_seed(1);
        using var student = new MlpStudent(FeatureCount, o.HiddenLayers, 3, StudentActivation.Relu, 0, [], null, null);
        using var phase = RandomTeacherPhase.For(o, student)!;
        var log = new List<string>();
        int left = phase.Run(student, batches, new Random(1), 40, o, log.Add);
        Assert.Equal(20, left);                         // 40 epochs of 10 steps: 200 steps in the phase, 20 epochs after it
        Assert.Equal(20, phase.PassLosses.Count);
        Assert.True(phase.PassLosses[^1] < phase.PassLosses[0] - 0.1, string.Join(", ", phase.PassLosses.Select(l => l.ToString("F3"))));
        Assert.Contains(log, l => l.Contains("representation loss"));
    }

    [Fact]
    public void RandomTeacherFitTrainsOnTheLabelsAfterThePhase()
    {
        var ml = new MLContext(seed: 1);
        var o = Options(new SelfDistillationOptions { Mode = SelfDistillationMode.RandomTeacher }, 2);
        o.MinimumSteps = 300;
        var model = LabelToKey(ml).Append(ml.MulticlassClassification.Trainers.Student(o)).Fit(ml.Data.LoadFromEnumerable(Spirals(640, 0.5, 2)));
        var student = ((IEnumerable<ITransformer>)model).OfType<StudentTransformer>().Single();
        Assert.Equal("ce", student.LossName);
        Assert.Equal(21, student.History.Count);       // 30 epochs of 10 steps: 90 steps in the phase, 21 epochs on the labels
        Assert.True(student.History[^1].TrainAccuracy > 0.8, $"{student.History[^1].TrainAccuracy}");
    }

    // ---- refused combinations ----------------------------------------------------------------

    public static TheoryData<string, Func<MLContext, object>, string> Refused => new()
    {
        { "teacher column", ml => ml.MulticlassClassification.Trainers.Student(new StudentOptions { TeacherColumnName = "T", SelfDistillation = new() }), "TeacherColumnName" },
        { "several teachers", ml => ml.MulticlassClassification.Trainers.Student(new StudentOptions { TeacherColumnNames = ["T", "U"], SelfDistillation = new() }), "teacher column(s) [T, U]" },
        { "transfer set", ml => ml.MulticlassClassification.Trainers.Student(new StudentOptions { TransferSet = new TransferSetOptions { TeacherModelPath = "t.onnx" }, SelfDistillation = new() }), "TransferSet" },
        { "regression", ml => ml.Regression.Trainers.Student(new StudentOptions { SelfDistillation = new() }), "Regression student" },
        { "ranking", ml => ml.Ranking.Trainers.Student(new StudentOptions { SelfDistillation = new() }), "Ranking student" },
        { "decay above one", ml => ml.MulticlassClassification.Trainers.Student(new StudentOptions { SelfDistillation = new() { EmaDecay = 1.5 } }), "EmaDecay" },
        { "mask of the whole batch", ml => ml.MulticlassClassification.Trainers.Student(new StudentOptions { SelfDistillation = new() { MaskEasyFraction = 1 } }), "MaskEasyFraction" },
        { "negative noise", ml => ml.MulticlassClassification.Trainers.Student(new StudentOptions { SelfDistillation = new() { InputNoise = -1 } }), "InputNoise" },
        { "phase of every step", ml => ml.MulticlassClassification.Trainers.Student(new StudentOptions { SelfDistillation = new() { Mode = SelfDistillationMode.RandomTeacher, RandomTeacherFraction = 1 } }), "RandomTeacherFraction" },
        { "own loss and a loss option", ml => ml.MulticlassClassification.Trainers.Student(new StudentOptions { Loss = DistillationLoss.Hinton(), SelfDistillation = new() { ConsistencyWeight = 3 } }), "ConsistencyWeight (3)" },
        { "random-teacher option on a mean teacher", ml => ml.MulticlassClassification.Trainers.Student(new StudentOptions { SelfDistillation = new() { RandomTeacherWidth = 64 } }), "belong to the random teacher" },
        { "mean-teacher option on a random teacher", ml => ml.MulticlassClassification.Trainers.Student(new StudentOptions { SelfDistillation = new() { Mode = SelfDistillationMode.RandomTeacher, EmaDecay = 0.9 } }), "belong to the mean teacher" },
        { "random teacher on a linear student", ml => ml.MulticlassClassification.Trainers.Student(new StudentOptions { HiddenLayers = [], SelfDistillation = new() { Mode = SelfDistillationMode.RandomTeacher } }), "HiddenLayers is empty" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void NonsensicalCombinationsAreRefusedByName(string what, Func<MLContext, object> make, string named)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => make(new MLContext(seed: 1)));
        Assert.True(e.Message.Contains(named), $"{what}: {e.Message}");
    }

    [Fact]
    public void MeanTeacherWorksWithAnyLogitLossAsTheTeacher()
    {
        var ml = new MLContext(seed: 1);
        var o = Options(new SelfDistillationOptions(), 4);
        o.MinimumSteps = 40;
        o.Loss = DistillationLoss.Hinton(2, 0.5);
        var model = LabelToKey(ml).Append(ml.MulticlassClassification.Trainers.Student(o)).Fit(ml.Data.LoadFromEnumerable(Spirals(300, 0.2, 4)));
        var student = ((IEnumerable<ITransformer>)model).OfType<StudentTransformer>().Single();
        Assert.Contains(student.History[0].LossTerms.Keys, k => k.Contains("kd"));
    }
}
