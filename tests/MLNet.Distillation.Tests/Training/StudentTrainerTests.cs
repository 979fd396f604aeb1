using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Training;

public class StudentTrainerTests
{
    private static StudentOptions Small(string? teacher, int epochs = 40) => new()
    {
        TeacherColumnName = teacher, HiddenLayers = [16], Epochs = epochs, BatchSize = 32, LearningRate = 0.01, Seed = 7,
    };

    private static (ITransformer Model, IDataView Test) FitWine(MLContext ml, StudentOptions options, bool withTeacher = true)
    {
        var train = WineSplit(ml, "train");
        IEstimator<ITransformer> pipeline = WineLabelToKey(ml);
        if (withTeacher) pipeline = pipeline.Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher));
        var model = pipeline.Append(ml.MulticlassClassification.Trainers.Student(options)).Fit(train);
        return (model, WineSplit(ml, "test"));
    }

    [Fact]
    public void DistilledStudentLearnsTheWineTask()
    {
        var ml = new MLContext(seed: 1);
        var (model, test) = FitWine(ml, Small("TeacherLogits"));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        Assert.True(metrics.MicroAccuracy > 0.85, $"accuracy {metrics.MicroAccuracy}, chance is 0.33");
    }

    [Fact]
    public void WithoutTeacherColumnItTrainsWithCrossEntropyAlone()
    {
        var ml = new MLContext(seed: 1);
        var (model, test) = FitWine(ml, Small(null), withTeacher: false);
        var student = ((IEnumerable<ITransformer>)model).OfType<StudentTransformer>().Single();
        Assert.Equal("ce", student.LossName);
        Assert.Equal(["ce"], student.History[0].LossTerms.Keys);
        Assert.True(ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy > 0.85);
    }

    [Fact]
    public void StudentWithoutAnyLabelsLearnsFromTheTeacherAlone()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Transforms.DropColumns("Label").Fit(WineSplit(ml, "train")).Transform(WineSplit(ml, "train"));
        var options = Small("TeacherLogits");
        options.ClassNames = WineClasses;
        var model = ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher).Append(ml.MulticlassClassification.Trainers.Student(options)).Fit(train);
        var test = WineSplit(ml, "test");
        var predicted = ml.Data.CreateEnumerable<Prediction>(
            ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(model.Transform(test)).Transform(model.Transform(test)), false).ToArray();
        var truth = ml.Data.CreateEnumerable<WineRow>(test, false).ToArray();
        double acc = predicted.Zip(truth).Count(p => p.First.PredictedLabel == p.Second.Label) / (double)truth.Length;
        Assert.True(acc > 0.85, $"accuracy {acc} from the teacher alone");
    }

    public sealed class Prediction
    {
        public string PredictedLabel { get; set; } = "";
        public float[] Score { get; set; } = [];
    }

    [Fact]
    public void RowsWithMissingLabelsUseOnlyTheTeacherTerm()
    {
        var ml = new MLContext(seed: 1);
        var train = WineSplit(ml, "train");
        var keyed = WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher)).Fit(train).Transform(train);
        var set = TrainingSet.Load(keyed, Small("TeacherLogits"));
        Assert.All(Enumerable.Range(0, set.Rows).Select(set.Label), l => Assert.InRange(l, 0, 2));
        // Rows whose text label is empty become missing keys (-1) and still carry teacher outputs.
        var blanked = ml.Data.LoadFromEnumerable(ml.Data.CreateEnumerable<WineRow>(train, false).Select((r, i) => new WineRow { Label = i % 2 == 0 ? "" : r.Label, Features = r.Features, Split = r.Split }));
        var keyedBlank = WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher)).Fit(blanked).Transform(blanked);
        var partial = TrainingSet.Load(keyedBlank, Small("TeacherLogits"));
        Assert.Equal(62, partial.Rows - partial.LabelledRows());
        Assert.All(Enumerable.Range(0, partial.Rows), r => Assert.Equal(3, partial.TeacherRow(r).Length));
    }

    [Fact]
    public void SameSeedGivesTheSamePredictions()
    {
        var a = Scores(new MLContext(seed: 1));
        var b = Scores(new MLContext(seed: 99));
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);

        static float[][] Scores(MLContext ml)
        {
            var (model, test) = FitWine(ml, Small("TeacherLogits", epochs: 5));
            return ReadVectors(model.Transform(test), "Score");
        }
    }

    [Fact]
    public void DifferentSeedsGiveDifferentStudents()
    {
        var ml = new MLContext(seed: 1);
        var o1 = Small("TeacherLogits", epochs: 3);
        var o2 = Small("TeacherLogits", epochs: 3);
        o2.Seed = 8;
        var s1 = ReadVectors(FitWine(ml, o1).Model.Transform(WineSplit(ml, "test")), "Score");
        var s2 = ReadVectors(FitWine(ml, o2).Model.Transform(WineSplit(ml, "test")), "Score");
        Assert.NotEqual(s1[0], s2[0]);
    }

    [Fact]
    public void ProgressReportsEveryEpochWithEachLossTerm()
    {
        var ml = new MLContext(seed: 1);
        var epochs = new List<EpochProgress>();
        var logged = new List<string>();
        ml.Log += (_, e) => { if (e.Source == "Student") lock (logged) logged.Add(e.RawMessage); };
        var options = Small("TeacherLogits", epochs: 4);
        options.Progress = epochs.Add;
        options.ValidationFraction = 0.25;
        FitWine(ml, options);
        Assert.Equal([1, 2, 3, 4], epochs.Select(e => e.Epoch));
        Assert.All(epochs, e => Assert.Equal(["kd", "ce"], e.LossTerms.Keys));
        Assert.All(epochs, e => Assert.InRange(e.ValidationAccuracy, 0, 1));
        Assert.All(epochs, e => Assert.InRange(e.ValidationTeacherAgreement, 0, 1));
        Assert.Equal(4, logged.Count(m => m.StartsWith("epoch ")));
    }

    [Fact]
    public void EarlyStoppingStopsAfterPatienceEpochsWithoutImprovement()
    {
        var ml = new MLContext(seed: 1);
        var epochs = new List<EpochProgress>();
        var options = Small("TeacherLogits", epochs: 200);
        options.LearningRate = 0.05;
        options.ValidationFraction = 0.3;
        options.EarlyStoppingPatience = 3;
        options.EarlyStoppingMetric = EarlyStoppingMetric.LogLoss;
        options.Progress = epochs.Add;
        FitWine(ml, options);
        Assert.True(epochs.Count < 200, "training should stop early");
        int best = epochs.Last(e => e.IsBest).Epoch;
        Assert.Equal(best + 3, epochs.Count);
    }

    [Fact]
    public void DefaultLossDistilsOnlyTheUnlabelledRowsWhenATeacherIsGiven()
    {
        var ml = new MLContext(seed: 1);
        var (model, _) = FitWine(ml, Small("TeacherLogits", epochs: 1));
        var student = ((IEnumerable<ITransformer>)model).OfType<StudentTransformer>().Single();
        Assert.StartsWith("corrected-kd(T=1,a=0)", student.LossName);
    }

    [Fact]
    public void AnyLossFromTheLibraryTrainsTheStudent()
    {
        var ml = new MLContext(seed: 1);
        var options = Small("TeacherLogits", epochs: 30);
        options.Loss = DistillationLoss.Dkd(warmupEpochs: 5) + 0.5 * DistillationLoss.DualHead();
        var (model, test) = FitWine(ml, options);
        var student = ((IEnumerable<ITransformer>)model).OfType<StudentTransformer>().Single();
        Assert.Contains("aux", student.History[^1].LossTerms.Keys);
        Assert.True(ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy > 0.85);
    }

    [Fact]
    public void LossesWithDottedHeadNamesTrain()
    {
        var ml = new MLContext(seed: 1);
        var options = Small(null, epochs: 5);
        options.Loss = DistillationLoss.Uskd();
        var (model, _) = FitWine(ml, options, withTeacher: false);
        var student = ((IEnumerable<ITransformer>)model).OfType<StudentTransformer>().Single();
        Assert.Contains("uskd_weak", student.History[^1].LossTerms.Keys);
    }

    [Fact]
    public void ProbabilityTeacherColumnIsReadAsProbabilities()
    {
        var ml = new MLContext(seed: 1);
        var train = WineSplit(ml, "train");
        var keyed = WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacherSoftmax)).Fit(train).Transform(train);
        Assert.Equal(TeacherOutputKind.Probabilities, TrainingSet.Load(keyed, Small("TeacherLogits")).TeacherKind);
    }

    [Fact]
    public void MissingTeacherColumnSaysHowToAddIt()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.Throws<ArgumentException>(() => FitWine(ml, Small("Soft"), withTeacher: false));
        Assert.Contains("'Soft'", e.Message);
        Assert.Contains("Distill", e.Message);
    }

    [Fact]
    public void NonKeyLabelSaysToMapItToAKey()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(Small(null)).Fit(WineSplit(ml, "train")));
        Assert.Contains("MapValueToKey", e.Message);
        Assert.Contains("'Label'", e.Message);
    }

    [Fact]
    public void TeacherWithWrongClassCountIsRejected()
    {
        var ml = new MLContext(seed: 1);
        var train = WineSplit(ml, "train");
        var fourClasses = ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(
            new[] { "class_0", "class_1", "class_2", "class_3" }.Select(c => new ClassName { Value = c })));
        var e = Assert.Throws<ArgumentException>(() => fourClasses.Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.Student(Small("TeacherLogits"))).Fit(train));
        Assert.Contains("4 classes", e.Message);
        Assert.Contains("3 values", e.Message);
    }

    [Theory]
    [InlineData(0, 32, 0.01)]
    [InlineData(5, 0, 0.01)]
    [InlineData(5, 32, 0.0)]
    public void InvalidOptionsAreRejected(int epochs, int batch, double lr)
    {
        var ml = new MLContext();
        Assert.ThrowsAny<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(new StudentOptions { Epochs = epochs, BatchSize = batch, LearningRate = lr }));
    }

    [Fact]
    public void HintonLossMatchesAHandComputedValue()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        float[] s = [1f, 2f, 0.5f, -1f, 0f, 3f];
        float[] t = [2f, 1f, 0f, 0.5f, -0.5f, 2.5f];
        long[] y = [1, -1];
        double T = 2, alpha = 0.7;
        var ctx = new LossContext
        {
            StudentLogits = TorchSharp.torch.tensor(s, [2, 3]), Teacher = TorchSharp.torch.tensor(t, [2, 3]), Labels = TorchSharp.torch.tensor(y),
        };
        double total = DistillationLoss.Hinton(T, alpha).Compute(ctx).Total.item<float>();

        double expected = 0;
        for (int r = 0; r < 2; r++)
        {
            var ps = Softmax(s.Skip(3 * r).Take(3).Select(v => v / T).ToArray());
            var pt = Softmax(t.Skip(3 * r).Take(3).Select(v => v / T).ToArray());
            double kl = pt.Zip(ps).Sum(p => p.First * Math.Log(p.First / p.Second)) * T * T;
            if (y[r] < 0) { expected += kl; continue; }
            var p1 = Softmax(s.Skip(3 * r).Take(3).Select(v => (double)v).ToArray());
            expected += alpha * kl + (1 - alpha) * -Math.Log(p1[y[r]]);
        }
        expected /= 2;
        Assert.Equal(expected, total, 1e-5);

        static double[] Softmax(double[] v) { var m = v.Max(); var e = v.Select(x => Math.Exp(x - m)).ToArray(); var z = e.Sum(); return e.Select(x => x / z).ToArray(); }
    }
}
