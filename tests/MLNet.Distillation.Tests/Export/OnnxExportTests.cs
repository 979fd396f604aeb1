using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNet.Distillation.Export;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using TorchSharp;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Export;

public class OnnxExportTests
{
    private static StudentTransformer TrainStudent(StudentActivation activation, int[] hidden)
    {
        var ml = new MLContext(seed: 1);
        var train = WineSplit(ml, "train");
        var model = WineLabelToKey(ml).Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
        {
            HiddenLayers = hidden, Activation = activation, Epochs = 3, Seed = 5,
        })).Fit(train);
        return (StudentTransformer)model.LastTransformer;
    }

    [Theory]
    [InlineData(StudentActivation.Relu, new[] { 16 })]
    [InlineData(StudentActivation.Gelu, new[] { 16, 8 })]
    [InlineData(StudentActivation.Tanh, new[] { 8 })]
    [InlineData(StudentActivation.Silu, new[] { 8, 8 })]
    [InlineData(StudentActivation.Relu, new int[0])]
    public void ExportedOnnxMatchesTheTorchSharpForwardPass(StudentActivation activation, int[] hidden)
    {
        var student = TrainStudent(activation, hidden);
        var path = Path.Combine(TempDir(), "student.onnx");
        student.ExportToOnnx(path);

        var x = ToArrays(Reference.GetProperty("wine").GetProperty("features"));
        var flat = x.SelectMany(r => r).ToArray();
        using var module = MlpStudent.FromNetwork(student.Network);
        module.eval();
        using var scope = torch.NewDisposeScope();
        var torchLogits = module.forward(torch.tensor(flat, [x.Length, 13])).data<float>().ToArray();
        var torchProbs = torch.nn.functional.softmax(torch.tensor(torchLogits, [x.Length, 3]), 1).data<float>().ToArray();

        using var session = new InferenceSession(path);
        using var input = OrtValue.CreateTensorValueFromMemory(flat, [x.Length, 13]);
        using var outputs = session.Run(new RunOptions(), [StudentOnnxExporter.InputName], [input],
            [StudentOnnxExporter.LogitsOutput, StudentOnnxExporter.ProbabilitiesOutput, StudentOnnxExporter.PredictedClassOutput]);
        var onnxLogits = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var onnxProbs = outputs[1].GetTensorDataAsSpan<float>().ToArray();
        var onnxClass = outputs[2].GetTensorDataAsSpan<long>().ToArray();

        for (int i = 0; i < torchLogits.Length; i++) Assert.True(Math.Abs(torchLogits[i] - onnxLogits[i]) <= 1e-5 * Math.Max(1, Math.Abs(torchLogits[i])), $"logit {i}: {torchLogits[i]} vs {onnxLogits[i]}");
        for (int i = 0; i < torchProbs.Length; i++) Assert.True(Math.Abs(torchProbs[i] - onnxProbs[i]) <= 1e-5, $"probability {i}");
        for (int r = 0; r < x.Length; r++) Assert.Equal(ArgMax(torchLogits.Skip(3 * r).Take(3).ToArray()), onnxClass[r]);
    }

    /// <summary>A 20-input, 12-hidden, 4-class network with seeded weights and the given standardisation.</summary>
    private static StudentNetwork RandomNetwork(float meanOffset, float meanSpread, float scale)
    {
        var rng = new Random(3);
        float[] Values(int n, double spread, double offset = 0) => Enumerable.Range(0, n).Select(_ => (float)(offset + (rng.NextDouble() * 2 - 1) * spread)).ToArray();
        return new StudentNetwork(20, [new DenseLayer(Values(12 * 20, 0.4), Values(12, 0.1), 20, 12), new DenseLayer(Values(4 * 12, 0.5), Values(4, 0.1), 12, 4)],
            StudentActivation.Relu, Values(20, meanSpread, meanOffset), Values(20, scale * 0.5, scale));
    }

    private static (float[] Torch, float[] Onnx) ForwardBoth(StudentNetwork network, float[] flat, int rows)
    {
        using var module = MlpStudent.FromNetwork(network);
        module.eval();
        using var scope = torch.NewDisposeScope();
        var torchLogits = module.forward(torch.tensor(flat, [rows, network.InputSize])).data<float>().ToArray();
        using var session = new InferenceSession(StudentOnnxExporter.ToOnnx(network));
        using var input = OrtValue.CreateTensorValueFromMemory(flat, [rows, network.InputSize]);
        using var outputs = session.Run(new RunOptions(), [StudentOnnxExporter.InputName], [input], [StudentOnnxExporter.LogitsOutput]);
        return (torchLogits, outputs[0].GetTensorDataAsSpan<float>().ToArray());
    }

    [Theory]
    [InlineData(0f, 1f, 2f, true)]        // standardised-pixel-like features: mean and scale both folded into layer 0
    [InlineData(1000f, 50f, 0.01f, false)] // means ~10 standard deviations from zero: the centring stays a Sub node
    public void StandardisationIsFoldedIntoTheFirstLayerWithoutLosingPrecision(float meanOffset, float meanSpread, float scale, bool meanFolded)
    {
        var network = RandomNetwork(meanOffset, meanSpread, scale);
        var rng = new Random(9);
        // Inputs around the feature means, as real rows are.
        var flat = Enumerable.Range(0, 50 * 20).Select(j => network.FeatureMean![j % 20] + (float)((rng.NextDouble() * 2 - 1) * 2 / network.FeatureScale![j % 20])).ToArray();
        var (torchLogits, onnxLogits) = ForwardBoth(network, flat, 50);
        for (int i = 0; i < torchLogits.Length; i++)
            Assert.True(Math.Abs(torchLogits[i] - onnxLogits[i]) <= 1e-5 * Math.Max(1, Math.Abs(torchLogits[i])), $"logit {i}: {torchLogits[i]} vs {onnxLogits[i]}");
        // The graph's initializers: the layers, plus the 20 means when the centring could not be folded (the scale never stays).
        Assert.Equal(network.ParameterCount + (meanFolded ? 0 : 20), MLNet.Distillation.Reporting.OnnxParameterCounter.Count(StudentOnnxExporter.ToOnnx(network)));
    }

    [Fact]
    public void ServingOneRowThroughABindingGivesWhatRunGives()
    {
        // The single-row serving pattern of docs/deploy.md: bind once, copy each request into the bound buffer, RunWithBinding.
        var network = RandomNetwork(0, 1, 2);
        using var session = new InferenceSession(StudentOnnxExporter.ToOnnx(network), new SessionOptions { IntraOpNumThreads = 1 });
        var features = new float[20];
        using var input = OrtValue.CreateTensorValueFromMemory(features, [1, 20]);
        var probabilities = new float[4];
        var predicted = new long[1];
        using var probabilitiesValue = OrtValue.CreateTensorValueFromMemory(probabilities, [1, 4]);
        using var predictedValue = OrtValue.CreateTensorValueFromMemory(predicted, [1]);
        using var binding = session.CreateIoBinding();
        binding.BindInput(StudentOnnxExporter.InputName, input);
        binding.BindOutput(StudentOnnxExporter.ProbabilitiesOutput, probabilitiesValue);
        binding.BindOutput(StudentOnnxExporter.PredictedClassOutput, predictedValue);
        using var run = new RunOptions();
        var rng = new Random(4);
        for (int request = 0; request < 5; request++)
        {
            var row = Enumerable.Range(0, 20).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
            row.CopyTo(features, 0);
            session.RunWithBinding(run, binding);
            using var fresh = OrtValue.CreateTensorValueFromMemory(row, [1, 20]);
            using var expected = session.Run(run, [StudentOnnxExporter.InputName], [fresh], [StudentOnnxExporter.ProbabilitiesOutput, StudentOnnxExporter.PredictedClassOutput]);
            Assert.Equal(expected[0].GetTensorDataAsSpan<float>().ToArray(), probabilities);
            Assert.Equal(expected[1].GetTensorDataAsSpan<long>()[0], predicted[0]);
        }
    }

    [Fact]
    public void ExportedOnnxRunsInMlNetApplyOnnxModel()
    {
        var student = TrainStudent(StudentActivation.Relu, [16]);
        var path = Path.Combine(TempDir(), "student.onnx");
        student.ExportToOnnx(path);
        var ml = new MLContext();
        var data = ml.Transforms.CopyColumns("features", "Features").Fit(Wine(ml)).Transform(Wine(ml));
        var scored = ml.Transforms.ApplyOnnxModel(StudentOnnxExporter.ProbabilitiesOutput, "features", path).Fit(data).Transform(data);
        var probs = ReadVectors(scored, StudentOnnxExporter.ProbabilitiesOutput);
        Assert.Equal(178, probs.Length);
        Assert.All(probs, p => Assert.Equal(1.0, p.Sum(), 1e-5));
    }

    [Fact]
    public void ExportedOnnxCarriesClassNamesAndArchitectureInMetadata()
    {
        var student = TrainStudent(StudentActivation.Relu, [16]);
        var path = Path.Combine(TempDir(), "student.onnx");
        student.ExportToOnnx(path);
        using var session = new InferenceSession(path);
        var meta = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal(string.Join("\n", WineClasses), meta["class_names"]);
        Assert.Equal("13-16-3", meta["architecture"]);
        Assert.Equal("MLNet.Distillation", session.ModelMetadata.ProducerName);
    }

    [Fact]
    public void ExportOverwritesAtomicallyAndLeavesNoTemporaryFiles()
    {
        var student = TrainStudent(StudentActivation.Relu, [16]);
        var dir = TempDir();
        var path = Path.Combine(dir, "student.onnx");
        File.WriteAllText(path, "old");
        student.ExportToOnnx(path);
        Assert.Equal(["student.onnx"], Directory.GetFiles(dir).Select(Path.GetFileName));
        using var session = new InferenceSession(path);
        Assert.Equal(StudentOnnxExporter.InputName, session.InputMetadata.Keys.Single());
    }
}
