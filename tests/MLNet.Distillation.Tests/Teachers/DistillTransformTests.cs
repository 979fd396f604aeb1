using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Samples;
using MLNet.Distillation.Teachers;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Teachers;

public class DistillTransformTests
{
    private readonly MLContext _ml = new(seed: 1);

    [Fact]
    public void FashionTeacherLogitsMatchPyTorchReference()
    {
        var reference = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Quickstart("teacher_reference.json"))).RootElement;
        var expected = ToArrays(reference.GetProperty("logits"));
        var rows = FashionMnist.Load(Path.GetDirectoryName(FashionTeacher)!, "t10k").Take(expected.Length);
        var data = _ml.Data.LoadFromEnumerable(rows);

        var output = _ml.Transforms.Distill("TeacherLogits", "Features", FashionTeacher).Fit(data).Transform(data);

        var actual = ReadVectors(output, "TeacherLogits");
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            for (int j = 0; j < expected[i].Length; j++)
                Assert.True(Math.Abs(expected[i][j] - actual[i][j]) <= 1e-4, $"row {i} logit {j}: ONNX Runtime {actual[i][j]}, PyTorch {expected[i][j]}");
    }

    [Fact]
    public void WineTeacherLogitsMatchPyTorchReference()
    {
        var wine = Reference.GetProperty("wine_mlp_teacher");
        var expected = ToArrays(wine.GetProperty("logits"));
        var output = _ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher).Fit(Wine(_ml)).Transform(Wine(_ml));
        var actual = ReadVectors(output, "TeacherLogits").Take(expected.Length).ToArray();
        for (int i = 0; i < expected.Length; i++)
            for (int j = 0; j < 3; j++)
                Assert.Equal(expected[i][j], actual[i][j], 1e-4);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void BatchSizeDoesNotChangeOutputs(int batchSize)
    {
        var data = Wine(_ml);
        var reference = ReadVectors(_ml.Transforms.Distill("T", "Features", WineTeacher, batchSize: 64).Fit(data).Transform(data), "T");
        var actual = ReadVectors(_ml.Transforms.Distill("T", "Features", WineTeacher, batchSize: batchSize).Fit(data).Transform(data), "T");
        Assert.Equal(reference.Length, actual.Length);
        for (int i = 0; i < reference.Length; i++)
            for (int j = 0; j < 3; j++)
                Assert.Equal(reference[i][j], actual[i][j], 1e-5);
    }

    [Fact]
    public void TeacherRunsOncePerBatchNotOncePerRow()
    {
        var data = Wine(_ml);
        var transformer = _ml.Transforms.Distill("T", "Features", WineTeacher, batchSize: 50).Fit(data);
        _ = ReadVectors(transformer.Transform(data), "T");
        Assert.Equal(178, transformer.RowsScored);
        Assert.Equal(4, transformer.TeacherCalls);   // 50 + 50 + 50 + 28
    }

    [Fact]
    public void TeacherComputesNothingWhenItsColumnIsNotRead()
    {
        var data = Wine(_ml);
        var transformer = _ml.Transforms.Distill("T", "Features", WineTeacher).Fit(data);
        var output = transformer.Transform(data);
        var features = ReadVectors(output, "Features");
        Assert.Equal(178, features.Length);
        Assert.Equal(0, transformer.RowsScored);
    }

    [Fact]
    public void PassThroughColumnsStayAlignedWithTeacherOutputs()
    {
        var data = Wine(_ml);
        var output = _ml.Transforms.Distill("T", "Features", WineTeacher, batchSize: 16).Fit(data).Transform(data);
        var rows = _ml.Data.CreateEnumerable<WithTeacher>(output, reuseRowObject: false).ToArray();
        var single = _ml.Data.CreateEnumerable<WithTeacher>(_ml.Transforms.Distill("T", "Features", WineTeacher, batchSize: 1).Fit(data).Transform(data), reuseRowObject: false).ToArray();
        Assert.Equal(178, rows.Length);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(single[i].Label, rows[i].Label);
            Assert.Equal(single[i].Features, rows[i].Features);
            Assert.Equal(single[i].T, rows[i].T, (a, b) => Math.Abs(a - b) < 1e-5);
        }
    }

    public sealed class WithTeacher
    {
        public string Label { get; set; } = "";
        public float[] Features { get; set; } = [];
        public float[] T { get; set; } = [];
    }

    [Fact]
    public void SoftmaxTeacherIsDetectedAsProbabilities()
    {
        var data = Wine(_ml);
        var logits = _ml.Transforms.Distill("T", "Features", WineTeacher).Fit(data);
        var probs = _ml.Transforms.Distill("T", "Features", WineTeacherSoftmax).Fit(data);
        Assert.Equal(TeacherOutputKind.Logits, logits.OutputKinds[0]);
        Assert.Equal(TeacherOutputKind.Probabilities, probs.OutputKinds[0]);
        ReadOnlyMemory<char> kind = default;
        probs.GetOutputSchema(data.Schema)["T"].Annotations.GetValue(DistillTransformer.OutputKindAnnotation, ref kind);
        Assert.Equal("Probabilities", kind.ToString());
    }

    [Fact]
    public void DeclaredOutputKindOverridesDetection()
    {
        var data = Wine(_ml);
        var t = _ml.Transforms.Distill(new DistillOptions
        {
            TeacherModelPath = WineTeacher, InputColumnName = "Features", OutputColumnName = "T", OutputKind = TeacherOutputKind.Probabilities,
        }).Fit(data);
        Assert.Equal(TeacherOutputKind.Probabilities, t.OutputKinds[0]);
    }

    [Fact]
    public void FlatPixelsAreReshapedToTheTeachersImageInput()
    {
        var data = _ml.Data.LoadFromEnumerable(FashionMnist.Load(Path.GetDirectoryName(FashionTeacher)!, "t10k").Take(3));
        var t = _ml.Transforms.Distill("T", "Features", FashionTeacher).Fit(data);
        Assert.Equal("[batch, 1, 28, 28]", t.Model.Inputs[0].ShapeText);
        Assert.Equal(10, ((VectorDataViewType)t.Transform(data).Schema["T"].Type).Size);
    }

    [Fact]
    public void MissingModelFileNamesThePath()
    {
        var e = Assert.Throws<FileNotFoundException>(() => _ml.Transforms.Distill("T", "Features", "no/such/teacher.onnx").Fit(Wine(_ml)));
        Assert.Contains("no/such/teacher.onnx", e.Message);
    }

    [Fact]
    public void NonOnnxFileIsRejectedWithTheModelName()
    {
        var path = Path.Combine(TempDir(), "not-a-model.onnx");
        File.WriteAllText(path, "this is not a protobuf");
        var e = Assert.Throws<InvalidDataException>(() => _ml.Transforms.Distill("T", "Features", path).Fit(Wine(_ml)));
        Assert.Contains("not-a-model.onnx", e.Message);
        Assert.Contains("ONNX", e.Message);
    }

    [Fact]
    public void MissingInputColumnNamesModelInputAndColumn()
    {
        var e = Assert.Throws<ArgumentException>(() => _ml.Transforms.Distill("T", "Pixels", WineTeacher).Fit(Wine(_ml)));
        Assert.Contains("'features'", e.Message);
        Assert.Contains("'Pixels'", e.Message);
        Assert.Contains("wine_mlp_teacher.onnx", e.Message);
    }

    public sealed class WrongSizeRow
    {
        [VectorType(12)] public float[] Features { get; set; } = new float[12];
    }

    [Fact]
    public void WrongVectorSizeNamesBothSizes()
    {
        var data = _ml.Data.LoadFromEnumerable([new WrongSizeRow()]);
        var e = Assert.Throws<ArgumentException>(() => _ml.Transforms.Distill("T", "Features", WineTeacher).Fit(data));
        Assert.Contains("12 values per row", e.Message);
        Assert.Contains("needs 13", e.Message);
        Assert.Contains("'features'", e.Message);
    }

    public sealed class WrongTypeRow
    {
        [VectorType(13)] public double[] Features { get; set; } = new double[13];
    }

    [Fact]
    public void WrongElementTypeSuggestsConversion()
    {
        var data = _ml.Data.LoadFromEnumerable([new WrongTypeRow()]);
        var e = Assert.Throws<ArgumentException>(() => _ml.Transforms.Distill("T", "Features", WineTeacher).Fit(data));
        Assert.Contains("float32", e.Message);
        Assert.Contains("ConvertType", e.Message);
    }

    [Fact]
    public void UnknownOutputNameListsTheModelsOutputs()
    {
        var e = Assert.Throws<ArgumentException>(() => _ml.Transforms.Distill(new DistillOptions
        {
            TeacherModelPath = WineTeacher, OutputColumns = { ["embedding"] = "E" },
        }).Fit(Wine(_ml)));
        Assert.Contains("'embedding'", e.Message);
        Assert.Contains("'logits'", e.Message);
    }

    [Fact]
    public void GpuRequestFallsBackToCpuWithAWarningInTheLog()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        var t = ml.Transforms.Distill("T", "Features", WineTeacher, gpuDeviceId: 0, fallbackToCpu: true).Fit(Wine(ml));
        if (t.Model.UsesGpu) return; // a machine with a working CUDA stack runs it on the GPU: nothing to fall back from
        Assert.Contains(messages, m => m.Contains("running the teacher on the CPU"));
        Assert.Equal(178, ReadVectors(t.Transform(Wine(ml)), "T").Length);
    }

    [Fact]
    public void GpuRequestWithoutFallbackThrowsWhenNoGpuIsUsable()
    {
        try
        {
            using var model = TeacherModel.Load(WineTeacher, gpuDeviceId: 0, fallbackToCpu: false);
            Assert.True(model.UsesGpu);
        }
        catch (InvalidOperationException e)
        {
            Assert.Contains("fallbackToCpu", e.Message);
        }
    }
}
