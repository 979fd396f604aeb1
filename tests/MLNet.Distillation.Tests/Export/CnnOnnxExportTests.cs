using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MLNet.Distillation.Export;
using MLNet.Distillation.Samples;
using MLNet.Distillation.Students;
using MLNet.Distillation.Tests.StudentBodies;
using TorchSharp;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Export;

/// <summary>
/// A CNN student's ONNX graph (Export/CnnBodyOnnx.cs) against TorchSharp's forward pass in evaluation mode, and the saved
/// ML.NET model (stock parts, plain <c>Model.Load</c>) against the ONNX file.
/// </summary>
public class CnnOnnxExportTests
{
    private static float[] Logits(InferenceSession session, float[] flat, int rows)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(flat, [rows, flat.Length / rows]);
        using var outputs = session.Run(new RunOptions(), [StudentOnnxExporter.InputName], [input], [StudentOnnxExporter.LogitsOutput]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static float[] TorchLogits(StudentNetwork network, float[] flat, int rows)
    {
        using var module = MlpStudent.FromNetwork(network);
        module.eval();
        using var scope = torch.NewDisposeScope();
        return module.forward(torch.tensor(flat, [rows, network.InputSize])).data<float>().ToArray();
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"value {i}: {expected[i]} vs {actual[i]}");
    }

    [Theory]
    [InlineData(true, CnnOutput.Flatten)]
    [InlineData(false, CnnOutput.Flatten)]
    [InlineData(true, CnnOutput.GlobalAveragePool)]
    public void ATrainedCnnStudentsOnnxMatchesTheTorchSharpForwardPass(bool batchNorm, CnnOutput output)
    {
        var ml = new MLContext(seed: 1);
        var rows = CnnTestData.Rows(300);
        using var model = CnnTestData.Train(ml, ml.Data.LoadFromEnumerable(rows), CnnTestData.Options(batchNorm, output));
        var student = model.LastTransformer;
        var body = Assert.IsType<CnnBody>(student.Network.Body);
        Assert.Equal(batchNorm, body.BatchNormFolded);
        Assert.Equal(784, student.Network.InputSize);

        var flat = rows.Take(32).SelectMany(r => r.Features).ToArray();
        var path = Path.Combine(TempDir(), "cnn-student.onnx");
        student.ExportToOnnx(path);
        using var session = new InferenceSession(path);
        var onnx = Logits(session, flat, 32);
        AssertClose(TorchLogits(student.Network, flat, 32), onnx);
        Assert.True(onnx.Distinct().Count() > 100, "the logits barely vary: the comparison would prove little");
    }

    [Fact]
    public void BatchNormFoldingKeepsTheTrainedModulesEvaluationOutputs()
    {
        // The module as trained (batch normalisation with running statistics) in evaluation mode, against the folded
        // body's ONNX graph: the fold is exact up to float rounding.
        var rows = CnnTestData.Rows(128);
        var flat = rows.SelectMany(r => r.Features).ToArray();
        torch.manual_seed(7);
        using var module = new CnnBodyModule(CnnTestData.Options().Clone(), 0.29f, 2.8f);
        using var optimizer = torch.optim.Adam(module.parameters(), 0.01);
        using (var scope = torch.NewDisposeScope())
        {
            module.train();
            var x = torch.tensor(flat, [128, 784]);
            for (int step = 0; step < 5; step++)   // moves the weights, the batch-norm scales and the running statistics away from their initial values
            {
                optimizer.zero_grad();
                var loss = (module.forward(x) - 1).pow(2).mean();
                loss.backward();
                optimizer.step();
            }
        }
        module.eval();
        float[] expected;
        using (var scope = torch.NewDisposeScope())
            expected = module.forward(torch.tensor(flat, [128, 784])).data<float>().ToArray();
        var body = (CnnBody)module.ToBody();

        var g = new OnnxGraphBuilder("cnn-body");
        g.AddInput("x", OnnxElementType.Float, [null, 784]);
        var output = body.EmitOnnx(g, "x");
        g.AddOutput(output, OnnxElementType.Float, [null, body.OutputWidth]);
        using var session = new InferenceSession(g.ToBytes());
        using var input = OrtValue.CreateTensorValueFromMemory(flat, [128, 784]);
        using var outputs = session.Run(new RunOptions(), ["x"], [input], [output]);
        AssertClose(expected, outputs[0].GetTensorDataAsSpan<float>().ToArray());
        Assert.Equal(body.OutputWidth * 128, expected.Length);
    }

    [Fact]
    public void TheSavedModelLoadsWithPlainModelLoadAndScoresAsTheOnnxFile()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var rows = CnnTestData.Rows(300);
        var data = ml.Data.LoadFromEnumerable(rows);
        using var model = CnnTestData.Train(ml, data, CnnTestData.Options());
        var zip = folder.File("cnn-student.zip");
        ml.Model.Save(model, data.Schema, zip);
        var onnxPath = folder.File("cnn-student.onnx");
        model.LastTransformer.ExportToOnnx(onnxPath);

        var test = ml.Data.LoadFromEnumerable(CnnTestData.Rows(340).Skip(300));
        var fresh = new MLContext();
        var loaded = fresh.Model.Load(zip, out _);
        try
        {
            var scores = ReadVectors(loaded.Transform(test), "Score");
            Assert.Equal(ReadVectors(model.Transform(test), "Score"), scores);
            using var session = new InferenceSession(onnxPath);
            using var input = OrtValue.CreateTensorValueFromMemory(CnnTestData.Rows(340).Skip(300).SelectMany(r => r.Features).ToArray(), [40, 784]);
            using var outputs = session.Run(new RunOptions(), [StudentOnnxExporter.InputName], [input], [StudentOnnxExporter.ProbabilitiesOutput]);
            AssertClose(outputs[0].GetTensorDataAsSpan<float>().ToArray(), scores.SelectMany(s => s).ToArray());
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    [Theory]
    [InlineData(float.NaN, 0)]
    [InlineData(float.NaN, 407)]
    [InlineData(float.PositiveInfinity, 783)]
    [InlineData(float.NegativeInfinity, 29)]
    public void ANonFinitePixelGivesNaNScoresInTheOnnxFileAndTheSavedModel(float value, int pixel)
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var rows = CnnTestData.Rows(200);
        var data = ml.Data.LoadFromEnumerable(rows);
        using var model = CnnTestData.Train(ml, data, CnnTestData.Options());
        var good = rows[0].Features;
        var bad = (float[])good.Clone();
        bad[pixel] = value;

        using var session = new InferenceSession(StudentOnnxExporter.ToOnnx(model.LastTransformer.Network));
        using var input = OrtValue.CreateTensorValueFromMemory([.. good, .. bad, .. good], [3, 784]);
        using var outputs = session.Run(new RunOptions(), [StudentOnnxExporter.InputName], [input], [StudentOnnxExporter.ProbabilitiesOutput, StudentOnnxExporter.LogitsOutput]);
        var probabilities = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.All(probabilities[10..20], p => Assert.True(float.IsNaN(p), $"probabilities {string.Join(", ", probabilities[10..20])}"));
        Assert.All(outputs[1].GetTensorDataAsSpan<float>().ToArray()[10..20], l => Assert.True(float.IsNaN(l)));
        Assert.Equal(probabilities[..10], probabilities[20..]);
        Assert.All(probabilities[..10], p => Assert.True(float.IsFinite(p)));

        var zip = folder.File("cnn-student.zip");
        ml.Model.Save(model, data.Schema, zip);
        var loaded = new MLContext().Model.Load(zip, out _);
        try
        {
            var scored = loaded.Transform(ml.Data.LoadFromEnumerable(new[] { new FashionRow { Features = good, Label = FashionMnist.ClassNames[0] }, new FashionRow { Features = bad, Label = FashionMnist.ClassNames[0] } }));
            var scores = ReadVectors(scored, "Score");
            Assert.All(scores[1], s => Assert.True(float.IsNaN(s), $"scores {string.Join(", ", scores[1])}"));
            Assert.All(scores[0], s => Assert.True(float.IsFinite(s)));
            Assert.Equal(0u, ReadKeys(scored, "PredictedLabel")[1]);
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }
}
