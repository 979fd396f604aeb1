using Microsoft.ML.OnnxRuntime;
using MLNet.Distillation.Export;
using MLNet.Distillation.Students;

namespace MLNet.Distillation.Tests.Export;

/// <summary>
/// The standalone ONNX file (ExportToOnnx) and a row whose features are not all finite: NaN logits and probabilities,
/// whatever the activation (a saturating tanh would otherwise give a finite, confident answer).
/// </summary>
public class StandaloneOnnxNonFiniteTests
{
    private static StudentNetwork Network(StudentActivation activation)
    {
        var rng = new Random(5);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        return new StudentNetwork(6, [new DenseLayer(Values(8 * 6), Values(8), 6, 8), new DenseLayer(Values(3 * 8), Values(3), 8, 3)], activation, null, null);
    }

    private static (float[] Probabilities, float[] Logits, long[] Classes) Run(StudentNetwork network, float[] rows)
    {
        using var session = new InferenceSession(StudentOnnxExporter.ToOnnx(network));
        using var input = OrtValue.CreateTensorValueFromMemory(rows, [rows.Length / network.InputSize, network.InputSize]);
        using var outputs = session.Run(new RunOptions(), [StudentOnnxExporter.InputName], [input],
            [StudentOnnxExporter.ProbabilitiesOutput, StudentOnnxExporter.LogitsOutput, StudentOnnxExporter.PredictedClassOutput]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray(), outputs[2].GetTensorDataAsSpan<long>().ToArray());
    }

    [Theory]
    [InlineData(StudentActivation.Relu, float.NaN)]
    [InlineData(StudentActivation.Relu, float.PositiveInfinity)]
    [InlineData(StudentActivation.Gelu, float.NaN)]
    [InlineData(StudentActivation.Silu, float.PositiveInfinity)]
    [InlineData(StudentActivation.Tanh, float.NegativeInfinity)]   // tanh saturates to ±1: without the guard, a finite, confident class
    public void ANonFiniteFeatureGivesNaNLogitsAndProbabilities(StudentActivation activation, float value)
    {
        var (probabilities, logits, _) = Run(Network(activation), [0.5f, -1f, value, 2f, 0f, 1f]);
        Assert.All(probabilities, p => Assert.True(float.IsNaN(p), $"probabilities {string.Join(", ", probabilities)}"));
        Assert.All(logits, l => Assert.True(float.IsNaN(l)));
    }

    [Fact]
    public void RowsBesideANonFiniteRowKeepTheirClassesInTheSameBatch()
    {
        var network = Network(StudentActivation.Tanh);
        float[] good = [0.5f, -1f, 0.25f, 2f, 0f, 1f], bad = [0.5f, -1f, float.NaN, 2f, 0f, 1f];
        var alone = Run(network, good);
        var batch = Run(network, [.. good, .. bad, .. good]);
        Assert.Equal(alone.Classes[0], batch.Classes[0]);
        Assert.Equal(alone.Classes[0], batch.Classes[2]);
        Assert.Equal(alone.Probabilities, batch.Probabilities[..3]);
        Assert.Equal(alone.Probabilities, batch.Probabilities[6..]);
        Assert.All(batch.Probabilities[3..6], p => Assert.True(float.IsNaN(p)));
    }
}
