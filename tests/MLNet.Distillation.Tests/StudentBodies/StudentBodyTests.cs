using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNet.Distillation.Export;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using TorchSharp;
using static MLNet.Distillation.Tests.TestData;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.StudentBodies;

/// <summary>
/// The plumbing every body goes through (training loop, network description, ONNX export, ML.NET scoring chain, saved
/// model), checked with a small body made here: a standardised linear projection followed by tanh.
/// </summary>
public class StudentBodyTests
{
    /// <summary>tanh(((x − mean)/std)·Wᵀ + b): a body whose every part the checks below can see.</summary>
    internal sealed class TanhProjection(int width) : StudentArchitecture
    {
        public override string Describe() => $"tanh-projection {width}";

        internal override StudentBodyModule Create(BodyContext context) => new Module(context.InputWidth, width, context.FeatureMean, context.FeatureStd);

        internal sealed class Module : StudentBodyModule
        {
            private readonly TorchSharp.Modules.Linear projection;
            private readonly Tensor mean, scale;

            public Module(int inputs, int outputs, float[] featureMean, float[] featureStd) : base("TanhProjection")
            {
                projection = nn.Linear(inputs, outputs);
                mean = tensor(featureMean).reshape(1, inputs);
                scale = tensor(featureStd.Select(s => s > 1e-6f ? 1f / s : 1f).ToArray()).reshape(1, inputs);
                RegisterComponents();
            }

            public override int OutputWidth => (int)projection.weight!.shape[0];

            public override long MultiplyAddsPerRow => projection.weight!.shape[0] * projection.weight.shape[1];

            public override Tensor forward(Tensor x) => projection.forward((x - mean) * scale).tanh();

            public override StudentBody ToBody()
            {
                using var _ = no_grad();
                return new Body(projection.weight!.detach().data<float>().ToArray(), projection.bias!.detach().data<float>().ToArray(),
                    mean.data<float>().ToArray(), scale.data<float>().ToArray(), OutputWidth);
            }

            public void Load(Body b)
            {
                using var _ = no_grad();
                projection.weight!.copy_(tensor(b.Weights).reshape(b.OutputWidth, b.InputSize));
                projection.bias!.copy_(tensor(b.Bias));
                mean.copy_(tensor(b.Mean).reshape(1, b.InputSize));
                scale.copy_(tensor(b.Scale).reshape(1, b.InputSize));
            }
        }

        internal sealed class Body(float[] weights, float[] bias, float[] mean, float[] scale, int outputs) : StudentBody
        {
            public float[] Weights => weights;
            public float[] Bias => bias;
            public float[] Mean => mean;
            public float[] Scale => scale;
            public override int InputSize => mean.Length;
            public override int OutputWidth => outputs;
            public override long ParameterCount => weights.Length + bias.Length;
            public override string Describe() => $"tanh-projection {outputs}";

            internal override StudentBodyModule ToModule()
            {
                var m = new Module(InputSize, outputs, mean, mean.Select(_ => 1f).ToArray());
                m.Load(this);
                m.eval();
                return m;
            }

            internal override string EmitOnnx(OnnxGraphBuilder g, string input)
            {
                var centred = g.AddNode("Sub", [input, g.AddInitializer("body.mean", mean, 1, InputSize)], "body.centred");
                var scaled = g.AddNode("Mul", [centred, g.AddInitializer("body.scale", scale, 1, InputSize)], "body.scaled");
                var linear = g.AddNode("Gemm", [scaled, g.AddInitializer("body.weight", weights, outputs, InputSize), g.AddInitializer("body.bias", bias, outputs)],
                    "body.linear", ("transB", 1L));
                return g.AddNode("Tanh", [linear], "body.output");
            }
        }
    }

    private static (StudentTransformer Student, ITransformer Model, IDataView Test) Train(int[] hidden)
    {
        var ml = new MLContext(seed: 1);
        var model = WineLabelToKey(ml).Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
        {
            Architecture = new TanhProjection(6), HiddenLayers = hidden, Epochs = 5, MinimumSteps = 0, Seed = 3,
        })).Fit(WineSplit(ml, "train"));
        return ((StudentTransformer)model.LastTransformer, model, model.Transform(WineSplit(ml, "test")));
    }

    [Fact]
    public void TheNetworkCarriesTheBodyAndCountsItsParameters()
    {
        var (student, _, _) = Train([5]);
        var network = student.Network;
        Assert.NotNull(network.Body);
        Assert.Equal(13, network.InputSize);
        Assert.Equal(6, network.Layers[0].Inputs);
        Assert.Null(network.FeatureMean);
        Assert.Equal(13 * 6 + 6 + 6 * 5 + 5 + 5 * 3 + 3, network.ParameterCount);
        Assert.Equal("tanh-projection 6-5-3", network.ToString());
    }

    [Theory]
    [InlineData(new[] { 5 })]
    [InlineData(new int[0])]
    public void ExportedOnnxAndTheMlNetChainMatchTheTorchSharpForward(int[] hidden)
    {
        var (student, _, test) = Train(hidden);
        var x = ReadVectors(test, "Features");
        var flat = x.SelectMany(r => r).ToArray();
        using var module = MlpStudent.FromNetwork(student.Network);
        module.eval();
        float[] torchProbs;
        using (var scope = NewDisposeScope())
            torchProbs = nn.functional.softmax(module.forward(tensor(flat, [x.Length, 13])), 1).data<float>().ToArray();

        using var session = new InferenceSession(StudentOnnxExporter.ToOnnx(student.Network));
        using var input = OrtValue.CreateTensorValueFromMemory(flat, [x.Length, 13]);
        using var outputs = session.Run(new RunOptions(), [StudentOnnxExporter.InputName], [input], [StudentOnnxExporter.ProbabilitiesOutput]);
        var onnxProbs = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var chainProbs = ReadVectors(test, "Score").SelectMany(r => r).ToArray();
        for (int i = 0; i < torchProbs.Length; i++)
        {
            Assert.True(Math.Abs(torchProbs[i] - onnxProbs[i]) <= 1e-5, $"ONNX probability {i}: {torchProbs[i]} vs {onnxProbs[i]}");
            Assert.True(Math.Abs(torchProbs[i] - chainProbs[i]) <= 1e-5, $"ML.NET probability {i}: {torchProbs[i]} vs {chainProbs[i]}");
        }
    }

    [Fact]
    public void ASavedBodyStudentLoadsWithStockMlNetAndIsRefusedBySavedStudentRead()
    {
        var (_, model, test) = Train([4]);
        var ml = new MLContext(seed: 1);
        var path = Path.Combine(TempDir(), "body-student.zip");
        ml.Model.Save(model, WineSplit(ml, "train").Schema, path);
        var loaded = new MLContext().Model.Load(path, out _);
        var before = ReadVectors(test, "Score");
        var after = ReadVectors(loaded.Transform(WineSplit(ml, "test")), "Score");
        for (int r = 0; r < before.Length; r++) Assert.Equal(before[r], after[r]);
        var error = Assert.Throws<NotSupportedException>(() => SavedStudent.Read(path));
        Assert.Contains("tanh-projection 6", error.Message);
        Assert.Contains("ExportToOnnx", error.Message);
    }
}
