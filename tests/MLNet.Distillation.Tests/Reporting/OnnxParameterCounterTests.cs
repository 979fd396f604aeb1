using MLNet.Distillation.Export;
using MLNet.Distillation.Reporting;
using MLNet.Distillation.Students;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Reporting;

public class OnnxParameterCounterTests
{
    [Fact]
    public void CountsTheWineTeachersWeightsBiasesAndStandardisationConstants()
    {
        // 13-64-64-3 MLP (13·64+64 + 64·64+64 + 64·3+3 = 5,251) plus its built-in mean and std (13 + 13), per Fixtures/README.md.
        Assert.Equal(5251 + 26, OnnxParameterCounter.Count(WineTeacher));
    }

    [Fact]
    public void CountsEveryInitializerOfAStudentGraph()
    {
        var network = new StudentNetwork(4,
            [new DenseLayer(new float[5 * 4], new float[5], 4, 5), new DenseLayer(new float[3 * 5], new float[3], 5, 3)],
            StudentActivation.Relu, [100, 100, 100, 100], [1, 1, 1, 1]);
        // weights and biases 20 + 5 + 15 + 3, and the 4 means of the centring node (100 standard deviations from zero: not
        // folded into the bias; the scale always is).
        Assert.Equal(43 + 4, OnnxParameterCounter.Count(StudentOnnxExporter.ToOnnx(network)));
    }

    [Fact]
    public void ReadsTheFileAndTheBytesAlike()
    {
        var bytes = File.ReadAllBytes(FashionTeacher);
        Assert.Equal(OnnxParameterCounter.Count(bytes), OnnxParameterCounter.Count(FashionTeacher));
    }

    [Fact]
    public void ATruncatedModelIsReportedAsUnreadable()
    {
        var bytes = File.ReadAllBytes(WineTeacher);
        var path = Path.Combine(TempDir(), "truncated.onnx");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => OnnxParameterCounter.Count(path));
        Assert.Contains("truncated.onnx", e.Message);
    }
}
