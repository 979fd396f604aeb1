using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Export;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Teachers;

/// <summary>Teachers with several inputs of different types, several outputs, symbolic dimensions, and the errors for every mismatch.</summary>
public class AnyTeacherTests
{
    private readonly MLContext _ml = new(seed: 1);

    private static string TwoInputTeacher => Fixture("two_input_teacher.onnx");
    private static string TwoOutputTeacher => Fixture("two_output_teacher.onnx");

    public sealed class TokenRow
    {
        [VectorType(6)] public long[] TokenIds { get; set; } = [];
        [VectorType(6)] public long[] Mask { get; set; } = [];
    }

    private IDataView ReferenceTokens()
    {
        var r = Reference.GetProperty("two_input_teacher");
        var ids = r.GetProperty("input_ids").EnumerateArray().Select(a => a.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray();
        var mask = r.GetProperty("attention_mask").EnumerateArray().Select(a => a.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray();
        return _ml.Data.LoadFromEnumerable(ids.Zip(mask, (i, m) => new TokenRow { TokenIds = i, Mask = m }).ToArray());
    }

    private static DistillOptions TokenTeacher(string outputColumn = "TeacherLogits") => new()
    {
        TeacherModelPath = TwoInputTeacher,
        InputColumns = { ["input_ids"] = "TokenIds", ["attention_mask"] = "Mask" },
        OutputColumnName = outputColumn,
    };

    private static void AssertClose(float[][] expected, float[][] actual, double tolerance = 1e-4)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (int j = 0; j < expected[i].Length; j++)
                Assert.True(Math.Abs(expected[i][j] - actual[i][j]) <= tolerance, $"row {i} value {j}: ONNX Runtime {actual[i][j]}, PyTorch {expected[i][j]}");
        }
    }

    [Fact]
    public void TokenIdsAndMaskFeedTheirOwnModelInputsAndMatchPyTorch()
    {
        var data = ReferenceTokens();
        var output = _ml.Transforms.Distill(TokenTeacher()).Fit(data).Transform(data);
        AssertClose(ToArrays(Reference.GetProperty("two_input_teacher").GetProperty("logits")), ReadVectors(output, "TeacherLogits"));
    }

    [Fact]
    public void SymbolicSequenceLengthIsTakenFromTheColumnSize()
    {
        var t = _ml.Transforms.Distill(TokenTeacher()).Fit(ReferenceTokens());
        Assert.Equal("[batch, seq]", t.Model.Inputs[0].ShapeText);
        Assert.Equal(4, ((VectorDataViewType)t.Transform(ReferenceTokens()).Schema["TeacherLogits"].Type).Size);
    }

    [Fact]
    public void EachOutputGoesToItsOwnColumnAndMatchesPyTorch()
    {
        var data = _ml.Data.TakeRows(Wine(_ml), 8);
        var output = _ml.Transforms.Distill(new DistillOptions
        {
            TeacherModelPath = TwoOutputTeacher,
            OutputColumns = { ["logits"] = "TeacherLogits", ["embedding"] = "TeacherEmbedding" },
        }).Fit(data).Transform(data);
        var reference = Reference.GetProperty("two_output_teacher");
        AssertClose(ToArrays(reference.GetProperty("logits")), ReadVectors(output, "TeacherLogits"));
        AssertClose(ToArrays(reference.GetProperty("embedding")), ReadVectors(output, "TeacherEmbedding"));
    }

    [Fact]
    public void ReadingOneOutputColumnStillGivesTheReferenceValues()
    {
        var data = _ml.Data.TakeRows(Wine(_ml), 8);
        var output = _ml.Transforms.Distill(new DistillOptions
        {
            TeacherModelPath = TwoOutputTeacher, BatchSize = 3,
            OutputColumns = { ["logits"] = "TeacherLogits", ["embedding"] = "TeacherEmbedding" },
        }).Fit(data).Transform(data);
        AssertClose(ToArrays(Reference.GetProperty("two_output_teacher").GetProperty("embedding")), ReadVectors(output, "TeacherEmbedding"));
    }

    public sealed class IntBoolRow
    {
        [VectorType(4)] public int[] Ids { get; set; } = [];
        [VectorType(4)] public bool[] Keep { get; set; } = [];
    }

    /// <summary>ids int32 [batch, 4], keep bool [batch, 4] → total float [batch, 1] = Σ ids where keep.</summary>
    private static string IntBoolTeacher()
    {
        var g = new OnnxGraphBuilder("int_bool");
        g.AddInput("ids", OnnxElementType.Int32, [null, 4]);
        g.AddInput("keep", OnnxElementType.Bool, [null, 4]);
        var ids = g.AddNode("Cast", ["ids"], "ids_f", ("to", 1L));
        var keep = g.AddNode("Cast", ["keep"], "keep_f", ("to", 1L));
        var kept = g.AddNode("Mul", [ids, keep], "kept");
        g.AddNode("ReduceSum", [kept, g.AddInitializer("axes", new long[] { 1 }, 1)], "total");
        g.AddOutput("total", OnnxElementType.Float, [null, 1]);
        var path = Path.Combine(TempDir(), "int_bool.onnx");
        File.WriteAllBytes(path, g.ToBytes());
        return path;
    }

    [Fact]
    public void Int32AndBoolColumnsFeedInt32AndBoolInputs()
    {
        var data = _ml.Data.LoadFromEnumerable(new[]
        {
            new IntBoolRow { Ids = [1, 2, 3, 4], Keep = [true, true, false, true] },
            new IntBoolRow { Ids = [10, 20, 30, 40], Keep = [false, false, false, true] },
        });
        var output = _ml.Transforms.Distill(new DistillOptions
        {
            TeacherModelPath = IntBoolTeacher(), InputColumns = { ["ids"] = "Ids", ["keep"] = "Keep" }, OutputColumnName = "Total",
        }).Fit(data).Transform(data);
        Assert.Equal([[7f], [40f]], ReadVectors(output, "Total"));
    }

    public sealed class GridRow
    {
        [VectorType(6)] public float[] Grid { get; set; } = [];
    }

    /// <summary>x float [batch, h, w] (both symbolic) → row_means float [batch, h]: the mean of each of the h rows.</summary>
    private static string RowMeansTeacher()
    {
        var g = new OnnxGraphBuilder("row_means");
        g.AddInput("x", OnnxElementType.Float, [null, null, null]);
        g.AddNode("ReduceMean", ["x"], "row_means", ("axes", new long[] { 2 }), ("keepdims", 0L));
        g.AddOutput("row_means", OnnxElementType.Float, [null, null]);
        var path = Path.Combine(TempDir(), "row_means.onnx");
        File.WriteAllBytes(path, g.ToBytes());
        return path;
    }

    [Fact]
    public void InputShapesResolveSeveralSymbolicDimensionsAndTheOutputSizeIsFound()
    {
        var data = _ml.Data.LoadFromEnumerable(new[] { new GridRow { Grid = [1, 2, 3, 4, 5, 6] } });
        var options = new DistillOptions { TeacherModelPath = RowMeansTeacher(), InputColumnName = "Grid", OutputColumnName = "Means", InputShapes = { ["x"] = [2, 3] } };
        var output = _ml.Transforms.Distill(options).Fit(data).Transform(data);
        Assert.Equal([[2f, 5f]], ReadVectors(output, "Means"));

        options.InputShapes["x"] = [3, 2];
        Assert.Equal([[1.5f, 3.5f, 5.5f]], ReadVectors(_ml.Transforms.Distill(options).Fit(data).Transform(data), "Means"));
    }

    [Fact]
    public void SeveralSymbolicDimensionsWithoutInputShapesSayWhatToSet()
    {
        var data = _ml.Data.LoadFromEnumerable(new[] { new GridRow { Grid = [1, 2, 3, 4, 5, 6] } });
        var e = Assert.Throws<ArgumentException>(() => _ml.Transforms.Distill("Means", "Grid", RowMeansTeacher()).Fit(data));
        Assert.Contains("'x'", e.Message);
        Assert.Contains("InputShapes", e.Message);
    }

    [Fact]
    public void InputShapesThatDoNotFitTheModelAreRejected()
    {
        var data = ReferenceTokens();
        var options = TokenTeacher();
        options.InputShapes["input_ids"] = [2, 3];
        var e = Assert.Throws<ArgumentException>(() => _ml.Transforms.Distill(options).Fit(data));
        Assert.Contains("InputShapes['input_ids']", e.Message);
        Assert.Contains("[batch, seq]", e.Message);
    }

    [Fact]
    public void SeveralInputsWithoutAMappingListTheInputsToMap()
    {
        var e = Assert.Throws<ArgumentException>(() => _ml.Transforms.Distill("T", "TokenIds", TwoInputTeacher).Fit(ReferenceTokens()));
        Assert.Contains("'input_ids'", e.Message);
        Assert.Contains("'attention_mask'", e.Message);
        Assert.Contains("InputColumns", e.Message);
    }

    [Fact]
    public void UnmappedInputIsNamed()
    {
        var options = new DistillOptions { TeacherModelPath = TwoInputTeacher, InputColumns = { ["input_ids"] = "TokenIds" } };
        var e = Assert.Throws<ArgumentException>(() => _ml.Transforms.Distill(options).Fit(ReferenceTokens()));
        Assert.Contains("'attention_mask'", e.Message);
        Assert.Contains("not mapped", e.Message);
    }

    [Fact]
    public void MappingAnInputTheModelDoesNotHaveListsItsInputs()
    {
        var options = TokenTeacher();
        options.InputColumns["token_type_ids"] = "Mask";
        var e = Assert.Throws<ArgumentException>(() => _ml.Transforms.Distill(options).Fit(ReferenceTokens()));
        Assert.Contains("'token_type_ids'", e.Message);
        Assert.Contains("'input_ids'", e.Message);
    }

    [Fact]
    public void InputMappedToAMissingColumnNamesBoth()
    {
        var options = TokenTeacher();
        options.InputColumns["attention_mask"] = "AttentionMask";
        var e = Assert.Throws<ArgumentException>(() => _ml.Transforms.Distill(options).Fit(ReferenceTokens()));
        Assert.Contains("'attention_mask'", e.Message);
        Assert.Contains("'AttentionMask'", e.Message);
        Assert.Contains("TokenIds", e.Message);
    }

    public sealed class Int32TokenRow
    {
        [VectorType(6)] public int[] TokenIds { get; set; } = [];
        [VectorType(6)] public long[] Mask { get; set; } = [];
    }

    [Fact]
    public void ColumnOfAnotherIntegerTypeNamesInputColumnAndConversion()
    {
        var data = _ml.Data.LoadFromEnumerable(new[] { new Int32TokenRow { TokenIds = [1, 2, 3, 0, 0, 0], Mask = [1, 1, 1, 0, 0, 0] } });
        var e = Assert.Throws<ArgumentException>(() => _ml.Transforms.Distill(TokenTeacher()).Fit(data));
        Assert.Contains("'TokenIds'", e.Message);
        Assert.Contains("'input_ids'", e.Message);
        Assert.Contains("int64", e.Message);
        Assert.Contains("DataKind.Int64", e.Message);
    }

    public sealed class VariableTokenRow
    {
        public long[] TokenIds { get; set; } = [];
        [VectorType(6)] public long[] Mask { get; set; } = [];
    }

    [Fact]
    public void VariableLengthTokenColumnSaysToPad()
    {
        var data = _ml.Data.LoadFromEnumerable(new[] { new VariableTokenRow { TokenIds = [1, 2, 3], Mask = [1, 1, 1, 0, 0, 0] } });
        var e = Assert.Throws<ArgumentException>(() => _ml.Transforms.Distill(TokenTeacher()).Fit(data));
        Assert.Contains("'TokenIds'", e.Message);
        Assert.Contains("variable-size", e.Message);
        Assert.Contains("Pad", e.Message);
    }

    [Fact]
    public void NonFloatOutputIsRejectedNamingTheOutput()
    {
        var network = new StudentNetwork(13, [new DenseLayer(new float[13 * 3], new float[3], 13, 3)], StudentActivation.Relu, null, null);
        var path = Path.Combine(TempDir(), "student.onnx");
        StudentOnnxExporter.Save(network, path);
        var e = Assert.Throws<NotSupportedException>(() => _ml.Transforms.Distill(new DistillOptions
        {
            TeacherModelPath = path, OutputColumns = { ["predicted_class"] = "Class" },
        }).Fit(Wine(_ml)));
        Assert.Contains("'predicted_class'", e.Message);
        Assert.Contains("float32", e.Message);
    }

    public sealed class CrossArchitectureRow
    {
        [VectorType(6)] public long[] TokenIds { get; set; } = [];
        [VectorType(6)] public long[] Mask { get; set; } = [];
        /// <summary>The student's own features: a bag of words (share of each of the 50 token ids among the unmasked positions).</summary>
        [VectorType(50)] public float[] Features { get; set; } = [];
    }

    private static CrossArchitectureRow[] RandomTokenRows(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            int length = rng.Next(2, 7);
            var ids = new long[6];
            var mask = new long[6];
            var bag = new float[50];
            for (int p = 0; p < length; p++)
            {
                ids[p] = rng.Next(1, 50);
                mask[p] = 1;
                bag[ids[p]] += 1f / length;
            }
            return new CrossArchitectureRow { TokenIds = ids, Mask = mask, Features = bag };
        }).ToArray();
    }

    [Fact]
    public void StudentOnItsOwnFeaturesLearnsFromATeacherOnTokenColumns()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(RandomTokenRows(600, seed: 3));
        var test = ml.Data.LoadFromEnumerable(RandomTokenRows(200, seed: 4));
        var model = ml.Transforms.Distill(TokenTeacher())
            .Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
            {
                TeacherColumnName = "TeacherLogits", FeatureColumnName = "Features", HiddenLayers = [32], Epochs = 60,
                BatchSize = 32, LearningRate = 0.01, Seed = 5, Loss = DistillationLoss.Hinton(temperature: 1, alpha: 1),
            }))
            .Fit(train);

        var scored = model.Transform(test);
        var teacher = ReadVectors(scored, "TeacherLogits").Select(ArgMax).ToArray();
        var student = ReadKeys(scored, "PredictedLabel").Select(k => (int)k - 1).ToArray();
        double agreement = teacher.Zip(student).Count(p => p.First == p.Second) / (double)teacher.Length;
        Assert.True(agreement > 0.8, $"top-1 agreement with the teacher on held-out rows: {agreement:P1} (chance is about 25%)");
    }

    public static TheoryData<string> TeacherLosses => new()
    {
        "hinton", "reverse-kl", "jensen-shannon", "skew-kl", "skew-reverse-kl", "total-variation", "dkd", "nkd", "sinkhorn",
        "symmetric-ce-to-teacher", "centred-logit-mse",
    };

    private static DistillationLoss LossNamed(string name) => name switch
    {
        "hinton" => DistillationLoss.Hinton(temperature: 4, alpha: 0.9),
        "reverse-kl" => DistillationLoss.ReverseKl(temperature: 2),
        "jensen-shannon" => DistillationLoss.JensenShannon(temperature: 2),
        "skew-kl" => DistillationLoss.SkewKl(temperature: 2),
        "skew-reverse-kl" => DistillationLoss.SkewReverseKl(temperature: 2),
        "total-variation" => DistillationLoss.TotalVariation(temperature: 2),
        "dkd" => DistillationLoss.Dkd(warmupEpochs: 0),
        "nkd" => DistillationLoss.Nkd(temperature: 2),
        "sinkhorn" => DistillationLoss.Sinkhorn(temperature: 2),
        "symmetric-ce-to-teacher" => DistillationLoss.SymmetricCrossEntropyToTeacher(temperature: 2),
        "centred-logit-mse" => DistillationLoss.LogitMse(centered: true),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(TeacherLosses))]
    public void ASoftmaxTeacherColumnTeachesWhatItsLogitsTeach(string lossName)
    {
        // The Distill column of a teacher that ends in Softmax is annotated as probabilities, the trainer passes that kind to
        // the losses, and they read it as log-probabilities: softmax(log p / T) = softmax(z / T), so every loss must give the
        // same value for the softmax teacher as for the same network's logits.
        var ml = new MLContext(seed: 1);
        var train = WineLabelToKey(ml).Fit(Wine(ml)).Transform(Wine(ml));
        var options = new StudentOptions { TeacherColumnName = "T" };
        var logits = TrainingSet.Load(ml.Transforms.Distill("T", "Features", WineTeacher).Fit(train).Transform(train), options);
        var probabilities = TrainingSet.Load(ml.Transforms.Distill("T", "Features", WineTeacherSoftmax).Fit(train).Transform(train), options);
        Assert.Equal(TeacherOutputKind.Logits, logits.TeacherKind);
        Assert.Equal(TeacherOutputKind.Probabilities, probabilities.TeacherKind);

        using var scope = TorchSharp.torch.NewDisposeScope();
        var rng = new Random(3);
        int n = logits.Rows;
        var student = TorchSharp.torch.tensor(Enumerable.Range(0, n * 3).Select(_ => (float)(rng.NextDouble() * 6 - 3)).ToArray(), [n, 3]);
        var labels = TorchSharp.torch.tensor(Enumerable.Range(0, n).Select(i => i % 4 == 0 ? -1L : logits.Label(i)).ToArray());
        double Value(TrainingSet set)
        {
            using var loss = LossNamed(lossName);
            return loss.Compute(new LossContext
            {
                StudentLogits = student, Labels = labels, TeacherKind = set.TeacherKind,
                Teacher = TorchSharp.torch.tensor(Enumerable.Range(0, n).SelectMany(r => set.TeacherRow(r).ToArray()).ToArray(), [n, 3]),
            }).Total.item<float>();
        }
        double fromLogits = Value(logits), fromProbabilities = Value(probabilities);
        Assert.True(Math.Abs(fromLogits - fromProbabilities) <= 1e-4 * Math.Max(1, Math.Abs(fromLogits)),
            $"{lossName}: {fromLogits} with the logits teacher, {fromProbabilities} with the softmax teacher");
    }
}
