using MLNet.Distillation.Students;

namespace MLNet.Distillation.Export;

/// <summary>
/// Compiles a <see cref="StudentNetwork"/> into an ONNX graph (opset 13, dynamic batch axis):
/// input <c>features</c> float [batch, F] → outputs <c>logits</c> [batch, K], <c>probabilities</c> [batch, K]
/// (softmax) and <c>predicted_class</c> int64 [batch] (zero-based argmax).
/// </summary>
public static class StudentOnnxExporter
{
    /// <summary>Default input name of an exported student.</summary>
    public const string InputName = "features";
    /// <summary>Output with the raw logits.</summary>
    public const string LogitsOutput = "logits";
    /// <summary>Output with the softmax probabilities.</summary>
    public const string ProbabilitiesOutput = "probabilities";
    /// <summary>Output with the zero-based predicted class index.</summary>
    public const string PredictedClassOutput = "predicted_class";

    /// <summary>Serialises the student as an ONNX model.</summary>
    /// <param name="network">The trained student.</param>
    /// <param name="inputName">Name of the graph input (default <see cref="InputName"/>).</param>
    /// <param name="classNames">Class names stored in the model's metadata (key <c>class_names</c>, one per line); optional.</param>
    public static byte[] ToOnnx(StudentNetwork network, string inputName = InputName, IReadOnlyList<string>? classNames = null)
        => Build(network, inputName, classNames, oneHotPermutation: null, probabilitiesName: ProbabilitiesOutput, oneHotName: null);

    /// <summary>Writes the student to an ONNX file atomically (a temporary file renamed into place).</summary>
    /// <param name="network">The trained student.</param>
    /// <param name="path">Destination .onnx path.</param>
    /// <param name="inputName">Name of the graph input (default <see cref="InputName"/>).</param>
    /// <param name="classNames">Class names stored in the model metadata; optional.</param>
    public static void Save(StudentNetwork network, string path, string inputName = InputName, IReadOnlyList<string>? classNames = null)
        => AtomicFile.WriteAllBytes(path, ToOnnx(network, inputName, classNames));

    /// <summary>
    /// The graph used inside the ML.NET scoring chain: probabilities under <paramref name="probabilitiesName"/>, plus a one-hot of
    /// the predicted class, its rows permuted by <paramref name="oneHotPermutation"/> (see <see cref="MlNetScoringPipeline"/>).
    /// </summary>
    internal static byte[] Build(StudentNetwork network, string inputName, IReadOnlyList<string>? classNames, int[]? oneHotPermutation,
        string probabilitiesName, string? oneHotName)
    {
        var g = new OnnxGraphBuilder("student") { DocString = $"MLNet.Distillation student {network}" };
        int k = network.NumClasses;
        g.AddInput(inputName, OnnxElementType.Float, [null, network.InputSize]);
        string x = inputName;
        var (firstWeights, firstBias, mean) = FoldStandardisation(network);
        if (mean is not null)
            x = g.AddNode("Sub", [x, g.AddInitializer("feature_mean", mean, 1, network.InputSize)], "centred");
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var l = network.Layers[i];
            bool last = i == network.Layers.Count - 1;
            var w = g.AddInitializer($"layer{i}.weight", i == 0 ? firstWeights : l.Weights, l.Outputs, l.Inputs);
            var b = g.AddInitializer($"layer{i}.bias", i == 0 ? firstBias : l.Bias, l.Outputs);
            x = g.AddNode("Gemm", [x, w, b], last ? LogitsOutput : $"layer{i}.linear", ("transB", 1L));
            if (!last) x = Activation(g, network.Activation, x, $"layer{i}.act");
        }
        g.AddNode("ArgMax", [LogitsOutput], PredictedClassOutput, ("axis", 1L), ("keepdims", 0L));
        if (oneHotName is not null)
        {
            // ML.NET's OnnxTransformer scores one row per call and keeps every output dimension (a [batch, K] output becomes
            // a Vector<Single, 1, K> column). Flattening to [K] gives the Vector<Single, K> that Score columns have.
            var flat = g.AddInitializer("flat_shape", [-1L], 1);
            g.AddNode("Softmax", [LogitsOutput], "probabilities_2d", ("axis", 1L));
            g.AddNode("Reshape", ["probabilities_2d", flat], probabilitiesName);
            var perm = oneHotPermutation ?? Enumerable.Range(0, k).ToArray();
            var table = new float[k * k];
            for (int c = 0; c < k; c++) table[c * k + perm[c]] = 1f;
            g.AddNode("Gather", [g.AddInitializer("one_hot_table", table, k, k), PredictedClassOutput], "one_hot_2d", ("axis", 0L));
            g.AddNode("Reshape", ["one_hot_2d", flat], oneHotName);
            g.AddOutput(probabilitiesName, OnnxElementType.Float, [k]);
            g.AddOutput(oneHotName, OnnxElementType.Float, [k]);
        }
        else
        {
            g.AddNode("Softmax", [LogitsOutput], probabilitiesName, ("axis", 1L));
            g.AddOutput(probabilitiesName, OnnxElementType.Float, [null, k]);
            g.AddOutput(LogitsOutput, OnnxElementType.Float, [null, k]);
            g.AddOutput(PredictedClassOutput, OnnxElementType.Int64, [null]);
        }
        g.AddMetadata("architecture", network.ToString());
        g.AddMetadata("activation", network.Activation.ToString());
        if (classNames is not null) g.AddMetadata("class_names", string.Join("\n", classNames));
        return g.ToBytes();
    }

    /// <summary>
    /// Folds the feature standardisation <c>(x − mean) · scale</c> into the first layer, so that a single-row call runs one
    /// or two fewer operators: the scale always goes into the weights (<c>W'[o,i] = W[o,i] · scale[i]</c>, one rounding per
    /// weight); the mean goes into the bias (<c>b' = b − W'·mean</c>, summed in double) only when every feature's mean is
    /// within <see cref="MaxFoldedMeanInStd"/> standard deviations of zero, so that <c>x·W'</c> and <c>b'</c> cannot cancel
    /// to lose more than a few bits. Otherwise the graph keeps a <c>Sub</c> node and returns the mean to subtract.
    /// </summary>
    internal static (float[] Weights, float[] Bias, float[]? Mean) FoldStandardisation(StudentNetwork network)
    {
        var first = network.Layers[0];
        if (network.FeatureMean is not { } m || network.FeatureScale is not { } scale) return (first.Weights, first.Bias, null);
        int inputs = first.Inputs;
        var w = new float[first.Weights.Length];
        for (int o = 0; o < first.Outputs; o++)
            for (int i = 0; i < inputs; i++)
                w[o * inputs + i] = first.Weights[o * inputs + i] * scale[i];
        bool foldMean = true;
        for (int i = 0; i < inputs && foldMean; i++) foldMean = Math.Abs((double)m[i] * scale[i]) <= MaxFoldedMeanInStd;
        if (!foldMean) return (w, first.Bias, m);
        var b = new float[first.Outputs];
        for (int o = 0; o < first.Outputs; o++)
        {
            double sum = first.Bias[o];
            for (int i = 0; i < inputs; i++) sum -= (double)first.Weights[o * inputs + i] * scale[i] * m[i];
            b[o] = (float)sum;
        }
        return (w, b, null);
    }

    /// <summary>Largest |mean / standard deviation| of a feature whose centring is folded into the first layer's bias.</summary>
    internal const double MaxFoldedMeanInStd = 8;

    private static string Activation(OnnxGraphBuilder g, StudentActivation activation, string x, string name)
    {
        switch (activation)
        {
            case StudentActivation.Relu: return g.AddNode("Relu", [x], name);
            case StudentActivation.Tanh: return g.AddNode("Tanh", [x], name);
            case StudentActivation.Silu:
                var sig = g.AddNode("Sigmoid", [x], name + ".sigmoid");
                return g.AddNode("Mul", [x, sig], name);
            case StudentActivation.Gelu:
                // 0.5·x·(1 + erf(x/√2)), the exact form TorchSharp's gelu uses (Gelu is an ONNX op only from opset 20).
                var scaled = g.AddNode("Mul", [x, g.AddInitializer(name + ".c_inv_sqrt2", [0.70710678118654752f])], name + ".scaled");
                var erf = g.AddNode("Erf", [scaled], name + ".erf");
                var plus = g.AddNode("Add", [erf, g.AddInitializer(name + ".c_one", [1f])], name + ".plus1");
                var half = g.AddNode("Mul", [x, g.AddInitializer(name + ".c_half", [0.5f])], name + ".half");
                return g.AddNode("Mul", [half, plus], name);
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
    }
}
