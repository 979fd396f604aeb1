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

/// <summary>A bring-your-own TorchSharp module as the student body: trained by the loop, exported with parity, refused by name when it cannot export.</summary>
public class CustomBodyTests
{
    /// <summary>Every kind of layer the exporter handles, on the 28×28 Fashion-MNIST images: 2-D and 1-D convolutions, batch norm folded and not, pools, layer norm, the activations.</summary>
    private static nn.Module<Tensor, Tensor> Body(int width) => nn.Sequential(
        nn.Unflatten(1, [1, 28, 28]),
        nn.Conv2d(1, 4, 3, padding: 1, bias: false),
        nn.BatchNorm2d(4),                                  // folded into the convolution
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Sequential(
            nn.Conv2d(4, 6, 3, stride: 2, padding: Padding.Valid),
            nn.LeakyReLU(0.1),
            nn.AvgPool2d(2, stride: 1)),
        nn.Flatten(),                                       // 6×5×5
        nn.Unflatten(1, [6, 25]),
        nn.Conv1d(6, 5, 4, padding: Padding.Same),          // uneven 'same' padding
        nn.GELU(TorchSharp.Modules.GELU.Approximate.tanh),
        nn.MaxPool1d(2),
        nn.Flatten(),                                       // 5×12
        nn.BatchNorm1d(60),                                 // not after a layer it folds into: exported as BatchNormalization
        nn.Linear(60, 16),
        nn.BatchNorm1d(16),                                 // folded into the linear layer
        nn.SiLU(),
        nn.Dropout(0.1),
        nn.Linear(16, 12),
        nn.LayerNorm(12),
        nn.GELU(),
        nn.Identity(),
        nn.Tanh(),
        nn.Linear(12, 10),
        nn.Sigmoid());

    [Fact]
    public void ACustomSequentialBodyTrainsAndExportsWithParityToTheTrainedModule()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(CnnTestData.Rows(600));
        var test = CnnTestData.Rows(64);
        var x = test.SelectMany(r => r.Features).ToArray();
        nn.Module<Tensor, Tensor>? created = null;
        int givenWidth = 0, epochs = 0;
        float[]? trainedFeatures = null;
        var options = new StudentOptions
        {
            Architecture = StudentArchitecture.Custom(w => { givenWidth = w; return created = Body(w); }, "every layer"),
            HiddenLayers = [8], Epochs = 2, BatchSize = 32, Seed = 5,
            // At the end of the last epoch the user's own module (its batch norms unfolded) gives the features the exported body must reproduce.
            Progress = p =>
            {
                if (++epochs < 2) return;
                created!.eval();
                using var _ = no_grad();
                using var scope = NewDisposeScope();
                trainedFeatures = created.forward(tensor(x, [test.Count, 784])).data<float>().ToArray();
                created.train();
            },
        };
        var model = CnnTestData.LabelToKey(ml).Append(ml.MulticlassClassification.Trainers.Student(options)).Fit(data);
        var student = model.LastTransformer;

        Assert.Equal(784, givenWidth);
        var body = Assert.IsType<CustomBody>(student.Network.Body);
        Assert.Equal(10, body.OutputWidth);
        Assert.Equal(784, student.Network.InputSize);
        Assert.Equal("custom every layer [reshape 1×28×28, conv2d 1→4 k3×3, relu, maxpool2d k2×2, conv2d 4→6 k3×3 s2×2, leakyrelu 0.1, avgpool2d k2×2 s1×1, flatten, reshape 6×25, conv1d 6→5 k4, gelu(tanh), maxpool1d k2, flatten, batchnorm 60, linear 60→16, silu, linear 16→12, layernorm 12, gelu, tanh, linear 12→10, sigmoid]", body.Describe());
        long trained = 4 * 9 + 8 + 6 * 4 * 9 + 6 + 5 * 6 * 4 + 5 + 2 * 60 + 60 * 16 + 16 + 2 * 16 + 16 * 12 + 12 + 2 * 12 + 12 * 10 + 10;
        Assert.Equal(trained, body.ParameterCount);
        Assert.Equal(trained + (8 * 10 + 8 + 8 * 10 + 10), student.Network.ParameterCount);

        // The exported graph against the user's trained module followed by the dense layers, computed here from the network's weights.
        var onnxLogits = OnnxLogits(student.Network, x, test.Count);
        var expected = DenseLogits(student.Network, trainedFeatures!, test.Count);
        AssertClose(expected, onnxLogits, "ONNX vs the trained TorchSharp module");
        // ...and against the inference form back in TorchSharp.
        using var rebuilt = MlpStudent.FromNetwork(student.Network);
        rebuilt.eval();
        using (no_grad())
        using (NewDisposeScope())
            AssertClose(rebuilt.forward(tensor(x, [test.Count, 784])).data<float>().ToArray(), onnxLogits, "ONNX vs the inference form in TorchSharp");
        // The ML.NET scoring chain reads the same graph.
        var scores = ReadVectors(model.Transform(ml.Data.LoadFromEnumerable(test)), "Score").SelectMany(r => r).ToArray();
        AssertClose(Softmax(onnxLogits, 10), scores, "ML.NET Score vs the ONNX probabilities");
    }

    private sealed class ScaledLinear : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Linear inner;

        public ScaledLinear(int inputs, int outputs) : base(nameof(ScaledLinear))
        {
            inner = nn.Linear(inputs, outputs);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => inner.forward(x) * 2;
    }

    [Fact]
    public void AModuleWithItsOwnForwardIsRefusedByNameBeforeAnyEpoch()
    {
        var ml = new MLContext(seed: 1);
        int epochs = 0;
        var options = new StudentOptions
        {
            Architecture = StudentArchitecture.Custom(w => nn.Sequential(nn.Linear(w, 8), nn.ReLU(), new ScaledLinear(8, 4))),
            Epochs = 2, MinimumSteps = 0, Progress = _ => epochs++,
        };
        var e = Assert.Throws<NotSupportedException>(() => WineLabelToKey(ml).Append(ml.MulticlassClassification.Trainers.Student(options)).Fit(WineSplit(ml, "train")));
        Assert.Contains("'body.2'", e.Message);
        Assert.Contains(typeof(ScaledLinear).FullName!, e.Message);
        Assert.Contains("Linear, Conv1d, Conv2d", e.Message);
        Assert.Equal(0, epochs);
    }

    [Fact]
    public void UnsupportedOptionsAndShapesAreRefusedWithTheReason()
    {
        var ml = new MLContext(seed: 1);
        Exception Fit(Func<int, nn.Module<Tensor, Tensor>> body)
        {
            var options = new StudentOptions { Architecture = StudentArchitecture.Custom(body), Epochs = 1, MinimumSteps = 0 };
            return Record.Exception(() => WineLabelToKey(ml).Append(ml.MulticlassClassification.Trainers.Student(options)).Fit(WineSplit(ml, "train")))!;
        }

        var reflect = Fit(w => nn.Sequential(nn.Unflatten(1, [1, w]), nn.Conv1d(1, 2, 3, padding: 1, padding_mode: PaddingModes.Reflect), nn.Flatten()));
        Assert.IsType<NotSupportedException>(reflect);
        Assert.Contains("padding_mode Reflect", reflect.Message);
        var ceil = Fit(w => nn.Sequential(nn.Unflatten(1, [1, w]), nn.MaxPool1d(2, ceil_mode: true), nn.Flatten()));
        Assert.Contains("ceil_mode", ceil.Message);
        var notFlat = Fit(w => nn.Sequential(nn.Unflatten(1, [1, w])));
        Assert.IsType<ArgumentException>(notFlat);
        Assert.Contains("end the body with nn.Flatten()", notFlat.Message);
        var wrongWidth = Fit(w => nn.Linear(w + 1, 4));
        Assert.IsType<ArgumentException>(wrongWidth);
        Assert.Contains("'body'", wrongWidth.Message);
        Assert.Contains("13 values per row", wrongWidth.Message);
    }

    private static float[] OnnxLogits(StudentNetwork network, float[] x, int rows)
    {
        using var session = new InferenceSession(StudentOnnxExporter.ToOnnx(network));
        using var input = OrtValue.CreateTensorValueFromMemory(x, [rows, network.InputSize]);
        using var outputs = session.Run(new RunOptions(), [StudentOnnxExporter.InputName], [input], [StudentOnnxExporter.LogitsOutput]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>The network's dense layers (ReLU between them) on the given body features.</summary>
    private static float[] DenseLogits(StudentNetwork network, float[] features, int rows)
    {
        using var scope = NewDisposeScope();
        var h = tensor(features, [rows, network.Layers[0].Inputs]);
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var l = network.Layers[i];
            h = nn.functional.linear(h, tensor(l.Weights, [l.Outputs, l.Inputs]), tensor(l.Bias));
            if (i < network.Layers.Count - 1) h = nn.functional.relu(h);
        }
        return h.data<float>().ToArray();
    }

    private static float[] Softmax(float[] logits, int classes)
    {
        var p = new float[logits.Length];
        for (int r = 0; r < logits.Length / classes; r++)
        {
            var row = logits.AsSpan(r * classes, classes);
            double max = row.ToArray().Max(), sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.Exp(row[c] - max);
            for (int c = 0; c < classes; c++) p[r * classes + c] = (float)(Math.Exp(row[c] - max) / sum);
        }
        return p;
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5, $"{what}, value {i}: {expected[i]} vs {actual[i]}");
    }
}
