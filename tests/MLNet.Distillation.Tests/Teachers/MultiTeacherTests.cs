using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Teachers;

/// <summary>Several teachers: per-teacher columns, a combined column, or separate per-teacher losses in the trainer.</summary>
public class MultiTeacherTests
{
    private static string TwoOutputTeacher => Fixture("two_output_teacher.onnx");

    /// <summary>Teacher A (wine MLP, logits) → "A"; teacher B (the two-output MLP's logits) → "B"; the softmax wine teacher → "S".</summary>
    private static IEstimator<ITransformer> ThreeTeachers(MLContext ml)
        => ml.Transforms.Distill("A", "Features", WineTeacher)
            .Append(ml.Transforms.Distill(new DistillOptions { TeacherModelPath = TwoOutputTeacher, OutputColumns = { ["logits"] = "B" } }))
            .Append(ml.Transforms.Distill("S", "Features", WineTeacherSoftmax));

    private static double[] Softmax(float[] z)
    {
        double max = z.Max();
        var e = z.Select(v => Math.Exp(v - max)).ToArray();
        return e.Select(v => v / e.Sum()).ToArray();
    }

    private static string KindOf(IDataView data, string column)
    {
        ReadOnlyMemory<char> kind = default;
        data.Schema[column].Annotations.GetValue(DistillTransformer.OutputKindAnnotation, ref kind);
        return kind.ToString();
    }

    [Fact]
    public void ProbabilityMeanIsTheWeightedMeanOfEachTeachersSoftmax()
    {
        var ml = new MLContext(seed: 1);
        var data = ThreeTeachers(ml).Append(ml.Transforms.CombineTeachers("T", ["A", "B"], [3, 1])).Fit(Wine(ml)).Transform(Wine(ml));
        var a = ReadVectors(data, "A");
        var b = ReadVectors(data, "B");
        var t = ReadVectors(data, "T");
        for (int r = 0; r < t.Length; r++)
        {
            var pa = Softmax(a[r]);
            var pb = Softmax(b[r]);
            for (int k = 0; k < 3; k++) Assert.Equal(0.75 * pa[k] + 0.25 * pb[k], t[r][k], 1e-6);
        }
        Assert.Equal("Probabilities", KindOf(data, "T"));
    }

    [Fact]
    public void LogitMeanReadsProbabilityColumnsAsLogProbabilities()
    {
        var ml = new MLContext(seed: 1);
        var data = ThreeTeachers(ml).Append(ml.Transforms.CombineTeachers("T", ["A", "S"], combination: TeacherCombination.LogitMean))
            .Fit(Wine(ml)).Transform(Wine(ml));
        var a = ReadVectors(data, "A");
        var s = ReadVectors(data, "S");
        var t = ReadVectors(data, "T");
        for (int r = 0; r < t.Length; r++)
            for (int k = 0; k < 3; k++) Assert.Equal(0.5 * a[r][k] + 0.5 * Math.Log(s[r][k]), t[r][k], 1e-5);
        Assert.Equal("Logits", KindOf(data, "T"));
    }

    [Fact]
    public void TeacherColumnsOfDifferentSizesAreRejectedNamingBoth()
    {
        var ml = new MLContext(seed: 1);
        var pipeline = ml.Transforms.Distill("A", "Features", WineTeacher)
            .Append(ml.Transforms.Distill(new DistillOptions { TeacherModelPath = TwoOutputTeacher, OutputColumns = { ["embedding"] = "E" } }))
            .Append(ml.Transforms.CombineTeachers("T", ["A", "E"]));
        var e = Assert.Throws<ArgumentException>(() => pipeline.Fit(Wine(ml)));
        Assert.Contains("'E' has 16 values", e.Message);
        Assert.Contains("'A' has 3", e.Message);
    }

    [Fact]
    public void MissingTeacherColumnSaysToAddADistillStep()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.Throws<ArgumentException>(() => ml.Transforms.Distill("A", "Features", WineTeacher)
            .Append(ml.Transforms.CombineTeachers("T", ["A", "B"])).Fit(Wine(ml)));
        Assert.Contains("'B'", e.Message);
        Assert.Contains("Distill(\"B\"", e.Message);
    }

    [Theory]
    [InlineData(new[] { 1.0 })]
    [InlineData(new[] { 1.0, -1.0 })]
    [InlineData(new[] { 0.0, 0.0 })]
    public void InvalidWeightsAreRejected(double[] weights)
    {
        var ml = new MLContext(seed: 1);
        Assert.Throws<ArgumentException>(() => ml.Transforms.CombineTeachers("T", ["A", "B"], weights));
    }

    private static StudentOptions Small() => new() { HiddenLayers = [16], Epochs = 40, BatchSize = 32, LearningRate = 0.01, Seed = 7 };

    private static double Accuracy(MLContext ml, ITransformer model)
        => ml.MulticlassClassification.Evaluate(model.Transform(WineSplit(ml, "test"))).MicroAccuracy;

    [Fact]
    public void TwoTeachersDistilThroughACombinedColumn()
    {
        var ml = new MLContext(seed: 1);
        var options = Small();
        options.TeacherColumnName = "T";
        var model = WineLabelToKey(ml).Append(ThreeTeachers(ml))
            .Append(ml.Transforms.CombineTeachers("T", ["A", "B"]))
            .Append(ml.MulticlassClassification.Trainers.Student(options))
            .Fit(WineSplit(ml, "train"));
        Assert.True(Accuracy(ml, model) > 0.85, $"accuracy {Accuracy(ml, model)}");
    }

    [Fact]
    public void TwoTeachersKeptSeparateTrainOnPerTeacherLosses()
    {
        var ml = new MLContext(seed: 1);
        var options = Small();
        options.TeacherColumnNames = ["A", "B"];
        options.TeacherWeights = [2, 1];
        options.ValidationFraction = 0.2;
        var model = WineLabelToKey(ml).Append(ThreeTeachers(ml)).Append(ml.MulticlassClassification.Trainers.Student(options)).Fit(WineSplit(ml, "train"));
        var student = ((IEnumerable<ITransformer>)model).OfType<StudentTransformer>().Single();
        Assert.True(Accuracy(ml, model) > 0.85, $"accuracy {Accuracy(ml, model)}");
        Assert.Equal(["ce", "kd"], student.History[^1].LossTerms.Keys.Order());
        Assert.InRange(student.History[^1].ValidationTeacherAgreement, 0.5, 1.0);
    }

    /// <summary>
    /// Records what the trainer passes to a loss. Its terms: "kd" = 1 for the first teacher and 2 for the second (plus a zero
    /// that carries a gradient), so that the logged term is exactly the weighted sum Σᵢ wᵢ·(i + 1); "l2" is a tiny penalty.
    /// </summary>
    private sealed class ProbeLoss : DistillationLoss
    {
        public List<(bool TeacherIsOneOfTeachers, int Index, int Count, double[] Weights, TeacherOutputKind Kind)> Calls { get; } = new();

        public override string Name => "probe";

        public override LossTerms Compute(LossContext context)
        {
            int index = context.Teachers.ToList().FindIndex(t => ReferenceEquals(t, context.Teacher));
            Calls.Add((index >= 0, index, context.Teachers.Count, context.TeacherWeights.ToArray(), context.TeacherKind));
            return new LossTerms()
                .Add("kd", context.StudentLogits.sum() * 0 + (index + 1))
                .Add("l2", context.StudentLogits.pow(2).mean() * 1e-3);
        }
    }

    [Fact]
    public void TheLossSeesEachTeacherInTurnAndAllOfThemWithTheirWeights()
    {
        var ml = new MLContext(seed: 1);
        using var probe = new ProbeLoss();
        var options = Small();
        options.Epochs = 1;
        options.BatchSize = 200;
        options.Loss = probe;
        options.TeacherColumnNames = ["A", "S"];
        options.TeacherWeights = [3, 1];
        var train = WineLabelToKey(ml).Append(ThreeTeachers(ml)).Fit(WineSplit(ml, "train")).Transform(WineSplit(ml, "train"));
        var student = ml.MulticlassClassification.Trainers.Student(options).Fit(train);

        Assert.Equal(2, probe.Calls.Count);   // one batch, two teachers
        Assert.All(probe.Calls, c => Assert.True(c.TeacherIsOneOfTeachers));
        Assert.Equal([0, 1], probe.Calls.Select(c => c.Index));
        Assert.All(probe.Calls, c => Assert.Equal([0.75, 0.25], c.Weights));
        Assert.Equal([TeacherOutputKind.Logits, TeacherOutputKind.Probabilities], probe.Calls.Select(c => c.Kind));
        Assert.Equal(0.75 * 1 + 0.25 * 2, student.History[0].LossTerms["kd"], 1e-6);
        Assert.Equal(["kd", "l2"], student.History[0].LossTerms.Keys);
    }

    [Fact]
    public void OneTeacherColumnAndSeveralTogetherAreRejected()
    {
        var ml = new MLContext();
        var e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(new StudentOptions { TeacherColumnName = "A", TeacherColumnNames = ["A", "B"] }));
        Assert.Contains("not both", e.Message);
    }

    [Fact]
    public void TeacherWeightsMustMatchTheTeacherColumns()
    {
        var ml = new MLContext();
        var e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(new StudentOptions { TeacherColumnNames = ["A", "B"], TeacherWeights = [1] }));
        Assert.Contains("StudentOptions.TeacherWeights", e.Message);
        Assert.Contains("2 teacher columns", e.Message);
    }

    [Fact]
    public void CombinedColumnIsNotPartOfASavedModel()
    {
        var ml = new MLContext(seed: 1);
        var options = Small();
        options.Epochs = 2;
        options.TeacherColumnName = "T";
        var model = WineLabelToKey(ml).Append(ThreeTeachers(ml)).Append(ml.Transforms.CombineTeachers("T", ["A", "B"]))
            .Append(ml.MulticlassClassification.Trainers.Student(options)).Fit(WineSplit(ml, "train"));
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        ml.Model.Save(model, WineSplit(ml, "train").Schema, path);

        using var loaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(path, out _);
        var scored = loaded.Transform(WineSplit(ml, "test"));
        Assert.Null(scored.Schema.GetColumnOrNull("T"));
        Assert.Null(scored.Schema.GetColumnOrNull("A"));
        Assert.NotNull(scored.Schema.GetColumnOrNull("PredictedLabel"));
    }
}
