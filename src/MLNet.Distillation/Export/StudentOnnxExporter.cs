using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;

namespace MLNet.Distillation.Export;

/// <summary>
/// Compiles a <see cref="StudentNetwork"/> into an ONNX graph (opset 13, dynamic batch axis), input <c>features</c> float
/// [batch, F] (a text student, whose body reads token ids: int64 [batch, MaxTokens], 0 = padding, ids outside the
/// vocabulary read as padding), outputs by task:
/// <list type="bullet">
/// <item>multiclass: <c>logits</c> [batch, K], <c>probabilities</c> [batch, K] (softmax) and <c>predicted_class</c> int64 [batch] (zero-based argmax);</item>
/// <item>binary: <c>logit</c> [batch, 1], <c>probability</c> [batch, 1] (sigmoid) and <c>predicted_label</c> int64 [batch] (1 where the logit is positive);</item>
/// <item>regression: <c>score</c> [batch, k], the predicted values (in the targets' units);</item>
/// <item>ranking: <c>score</c> [batch, 1];</item>
/// <item>embedding: <c>embedding</c> [batch, D].</item>
/// </list>
/// A row whose features are not all finite gets NaN outputs (<see cref="GuardedLogits"/>).
/// </summary>
public static class StudentOnnxExporter
{
    /// <summary>Default input name of an exported student.</summary>
    public const string InputName = "features";
    /// <summary>Output with the raw logits.</summary>
    public const string LogitsOutput = "logits";
    /// <summary>Output with the softmax probabilities.</summary>
    public const string ProbabilitiesOutput = "probabilities";
    /// <summary>Output with the zero-based predicted class index (meaningless for a row whose probabilities are NaN).</summary>
    public const string PredictedClassOutput = "predicted_class";
    /// <summary>Binary: output with the logit of the positive class.</summary>
    public const string LogitOutput = "logit";
    /// <summary>Binary: output with the probability of the positive class.</summary>
    public const string ProbabilityOutput = "probability";
    /// <summary>Binary: output with the predicted label, 1 (positive) or 0.</summary>
    public const string PredictedLabelOutput = "predicted_label";
    /// <summary>Regression and ranking: output with the predicted values or the score.</summary>
    public const string ScoreOutput = "score";
    /// <summary>Embedding students: output with the embedding.</summary>
    public const string EmbeddingOutput = "embedding";
    /// <summary>Text students: metadata key of the ids per row the <c>features</c> input takes (int64, padded with 0).</summary>
    public const string MaxTokensKey = "max_tokens";
    /// <summary>
    /// Text students trained on a key column: metadata key of the vocabulary, a JSON array of strings whose element i is
    /// the token of id i + 1 (the key values of the column; id 0 is padding and any word not in it).
    /// </summary>
    public const string VocabularyKey = "token_vocabulary";

    /// <summary>
    /// Serialises the student as an ONNX model. A row whose features are not all finite (NaN or ±∞) gets NaN logits and
    /// probabilities (see <see cref="GuardedLogits"/>); its <c>predicted_class</c> is then meaningless (ONNX Runtime gives 0),
    /// so check the probabilities. The guard costs two operators (0.9 µs of a 4.7 µs single-row call of a 784-64-10
    /// student); a −1 class for such rows would cost three more, so the ML.NET chain, which needs one anyway, makes it.
    /// </summary>
    /// <param name="network">The trained student.</param>
    /// <param name="inputName">Name of the graph input (default <see cref="InputName"/>).</param>
    /// <param name="classNames">Class names stored in the model's metadata (key <c>class_names</c>, one per line); optional.</param>
    public static byte[] ToOnnx(StudentNetwork network, string inputName = InputName, IReadOnlyList<string>? classNames = null)
    {
        var g = NewGraph(network, inputName);
        int k = network.NumClasses;
        switch (network.Task)
        {
            case DistillationTask.MulticlassClassification:
            {
                var (logits, _) = GuardedLogits(g, network, inputName, LogitsOutput);
                g.AddNode("Softmax", [logits], ProbabilitiesOutput, ("axis", 1L));
                g.AddNode("ArgMax", [logits], PredictedClassOutput, ("axis", 1L), ("keepdims", 0L));
                g.AddOutput(ProbabilitiesOutput, OnnxElementType.Float, [null, k]);
                g.AddOutput(LogitsOutput, OnnxElementType.Float, [null, k]);
                g.AddOutput(PredictedClassOutput, OnnxElementType.Int64, [null]);
                break;
            }
            case DistillationTask.BinaryClassification:
            {
                var (logit, _) = GuardedLogits(g, network, inputName, LogitOutput);
                g.AddNode("Sigmoid", [logit], ProbabilityOutput);
                var positive = g.AddNode("Greater", [logit, g.AddConstant("zero", [0f], 1)], "positive");
                var label = g.AddNode("Cast", [positive], "predicted_label_2d", ("to", (long)OnnxElementType.Int64));
                g.AddNode("Reshape", [label, g.AddConstant("flat_shape", [-1L], 1)], PredictedLabelOutput);
                g.AddOutput(LogitOutput, OnnxElementType.Float, [null, 1]);
                g.AddOutput(ProbabilityOutput, OnnxElementType.Float, [null, 1]);
                g.AddOutput(PredictedLabelOutput, OnnxElementType.Int64, [null]);
                break;
            }
            default:
                string output = network.Task == DistillationTask.Embedding ? EmbeddingOutput : ScoreOutput;
                Prediction(g, network, inputName, output);
                g.AddOutput(output, OnnxElementType.Float, [null, k]);
                break;
        }
        AddMetadata(g, network, network.Task == DistillationTask.MulticlassClassification ? classNames : null);
        if (network.Body is ITokenIdBody tokens)
        {
            // What a deployed app needs to make the ids: the row length, and the token of each id (line i names id i + 1).
            g.AddMetadata(MaxTokensKey, tokens.MaxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (tokens.Vocabulary is { } words) g.AddMetadata(VocabularyKey, System.Text.Json.JsonSerializer.Serialize(words));
        }
        return g.ToBytes();
    }

    /// <summary>Writes the student to an ONNX file atomically (a temporary file renamed into place).</summary>
    /// <param name="network">The trained student.</param>
    /// <param name="path">Destination .onnx path.</param>
    /// <param name="inputName">Name of the graph input (default <see cref="InputName"/>).</param>
    /// <param name="classNames">Class names stored in the model metadata; optional.</param>
    public static void Save(StudentNetwork network, string path, string inputName = InputName, IReadOnlyList<string>? classNames = null)
        => AtomicFile.WriteAllBytes(path, ToOnnx(network, inputName, classNames));

    /// <summary>
    /// The graph inside the ML.NET scoring chain (see <see cref="MlNetScoringPipeline"/>), for ML.NET's <c>OnnxTransformer</c>,
    /// which runs one row per call and keeps every output dimension:
    /// <list type="bullet">
    /// <item><paramref name="probabilitiesName"/> float [K]: the softmax probabilities, with the class names as ML.NET slot names
    /// (ML.NET reads them from a node named <c>mlnet.&lt;output&gt;.SlotNames</c> with a <c>keys_strings</c> attribute);</item>
    /// <item><paramref name="classCodeName"/> float [1]: the zero-based index of the most probable class, NaN for a row whose
    /// features are not all finite (<see cref="GuardedLogits"/>).</item>
    /// </list>
    /// The metadata records the SHA-256 of the graph, which <c>mlContext.Model.LoadStudent</c> checks.
    /// </summary>
    internal static byte[] ToScoringOnnx(StudentNetwork network, string inputName, IReadOnlyList<string> classNames, string probabilitiesName, string classCodeName,
        OnnxInput? input = null)
    {
        var g = NewGraph(network, inputName, input);
        g.RecordGraphHash = true;
        var flat = g.AddConstant("flat_shape", [-1L], 1);
        var (logits, guard) = GuardedLogits(g, network, inputName, LogitsOutput);
        g.AddNode("Softmax", [logits], "probabilities_2d", ("axis", 1L));
        g.AddNode("Reshape", ["probabilities_2d", flat], probabilitiesName);
        g.AddNode("ArgMax", [logits], "arg_max", ("axis", 1L), ("keepdims", 1L));
        g.AddNode("Cast", ["arg_max"], "class_index", ("to", (long)OnnxElementType.Float));
        g.AddNode("Add", ["class_index", guard], "guarded_class_index");
        g.AddNode("Reshape", ["guarded_class_index", flat], classCodeName);

        g.UseDomain(OnnxMlDomain, 2);
        g.AddNode("LabelEncoder", OnnxMlDomain, $"mlnet.{probabilitiesName}.SlotNames", [g.AddInitializer("slot_names_probe", [""], 1)], "slot_names_probe_index",
            ("keys_strings", classNames.ToArray()), ("values_int64s", Enumerable.Range(0, classNames.Count).Select(i => (long)i).ToArray()), ("default_int64", -1L));

        g.AddOutput(probabilitiesName, OnnxElementType.Float, [network.NumClasses]);
        g.AddOutput(classCodeName, OnnxElementType.Float, [1]);
        AddMetadata(g, network, classNames);
        return g.ToBytes();
    }

    /// <summary>
    /// The graph inside the ML.NET scoring chain of a binary, regression or ranking student: <paramref name="valueName"/>
    /// float [C] per row. With one output (binary logit, one regression value, ranking score) it holds
    /// <c>(value − <paramref name="decoderBias"/>) / <paramref name="decoderWeight"/></c>, so that the chain's one-weight
    /// linear model, which turns the one-value vector into the scalar <c>Score</c> as <c>w·x + b</c>, gives back the value
    /// itself (to a float rounding); with several regression outputs it holds the values. NaN for a row whose features
    /// are not all finite. The metadata records the SHA-256 of the graph, which <c>mlContext.Model.LoadStudent</c> checks.
    /// </summary>
    internal static byte[] ToScoringOnnx(StudentNetwork network, string inputName, string valueName, float decoderWeight, float decoderBias,
        OnnxInput? input = null)
    {
        var g = NewGraph(network, inputName, input);
        g.RecordGraphHash = true;
        int k = network.NumClasses;
        var value = Prediction(g, network, inputName, "prediction");
        if (k == 1)
        {
            var shifted = g.AddNode("Sub", [value, g.AddConstant("decoder_bias", [decoderBias], 1)], "decoder_shifted");
            value = g.AddNode("Div", [shifted, g.AddConstant("decoder_weight", [decoderWeight], 1)], "decoder_input");
        }
        g.AddNode("Reshape", [value, g.AddConstant("flat_shape", [-1L], 1)], valueName);
        g.AddOutput(valueName, OnnxElementType.Float, [k]);
        AddMetadata(g, network, null);
        return g.ToBytes();
    }

    /// <summary>The prediction of a binary (logit), regression (values, through a sigmoid when the network says so) or ranking (score) student, [batch, C].</summary>
    private static string Prediction(OnnxGraphBuilder g, StudentNetwork network, string inputName, string name)
    {
        if (!network.OutputsThroughSigmoid) return GuardedLogits(g, network, inputName, name).Logits;
        var (raw, _) = GuardedLogits(g, network, inputName, "raw_output");
        return g.AddNode("Sigmoid", [raw], name);
    }

    private const string OnnxMlDomain = "ai.onnx.ml";

    /// <summary>
    /// A graph with the student's input: float [batch, InputSize]; for a token-id body int64 [batch, MaxTokens]
    /// (<see cref="TokenIdsOnnx"/>); or as <paramref name="input"/> declares it (the ML.NET chain's token column).
    /// </summary>
    private static OnnxGraphBuilder NewGraph(StudentNetwork network, string inputName, OnnxInput? input = null)
    {
        var g = new OnnxGraphBuilder("student") { DocString = $"MLNet.Distillation student {network}" };
        var declared = input ?? (network.Body is ITokenIdBody ? new OnnxInput(TokenIdsOnnx.StandaloneType, network.InputSize) : new OnnxInput(OnnxElementType.Float, network.InputSize));
        g.AddInput(inputName, declared.Type, [null, declared.Length]);
        return g;
    }

    /// <summary>
    /// Adds the body (if any), then the layers (feature standardisation folded into the first) and returns the logits, [batch, K], named
    /// <paramref name="outputName"/>, with the guard [batch, 1]: <c>Σ 0·h</c> over the first layer's pre-activations h, which is 0,
    /// or NaN when any feature is NaN or ±∞ (such a feature makes every h non-finite: NaN·w, ±∞·w and 0·∞ are not finite),
    /// computed as one <c>MatMul</c> of h with a zero column.
    /// The guard is added to every logit, so such a row has NaN logits even where a ReLU or a saturating tanh would have
    /// turned its first layer back into finite numbers — and so never a confident class. With a body (in ONNX Runtime a
    /// CNN's ReLUs and max pools turned a NaN pixel into finite features) the guard is <c>Σ 0·x</c> over the raw input instead, except
    /// for token ids, which are never non-finite (it stays on the first layer: always 0 there). The constants are <c>Constant</c>
    /// nodes, not initializers, so that the graph's parameter count stays the network's.
    /// </summary>
    private static (string Logits, string Guard) GuardedLogits(OnnxGraphBuilder g, StudentNetwork network, string inputName, string outputName)
    {
        string x = network.Body?.EmitOnnx(g, inputName) ?? inputName, guard = "";
        // A body can swallow a NaN before the first dense layer (in ONNX Runtime a CNN's ReLUs and max pools turned a NaN
        // pixel into finite features), so with a body the guard reads the raw input instead: Σ 0·x over the row's values.
        // Token ids are integers, never NaN or ±∞ (ids outside the vocabulary read as padding: TokenIdsOnnx), so a token
        // body keeps the first layer's guard.
        if (network.Body is not null and not ITokenIdBody)
            guard = g.AddNode("MatMul", [inputName, g.AddConstant("input_zero_column", new float[network.InputSize], network.InputSize, 1)], "not_finite_guard");
        var (firstWeights, firstBias, mean) = FoldStandardisation(network);
        if (mean is not null)
            x = g.AddNode("Sub", [x, g.AddInitializer("feature_mean", mean, 1, network.InputSize)], "centred");
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var l = network.Layers[i];
            bool last = i == network.Layers.Count - 1;
            var w = g.AddInitializer($"layer{i}.weight", i == 0 ? firstWeights : l.Weights, l.Outputs, l.Inputs);
            var b = g.AddInitializer($"layer{i}.bias", i == 0 ? firstBias : l.Bias, l.Outputs);
            x = g.AddNode("Gemm", [x, w, b], last ? "raw_logits" : $"layer{i}.linear", ("transB", 1L));
            if (i == 0 && guard.Length == 0)
                guard = g.AddNode("MatMul", [x, g.AddConstant("zero_column", new float[l.Outputs], l.Outputs, 1)], "not_finite_guard");
            if (!last) x = Activation(g, network.Activation, x, $"layer{i}.act");
        }
        return (g.AddNode("Add", [x, guard], outputName), guard);
    }

    private static void AddMetadata(OnnxGraphBuilder g, StudentNetwork network, IReadOnlyList<string>? classNames)
    {
        g.AddMetadata("architecture", network.ToString());
        if (network.Body is { } body) g.AddMetadata("body", body.Describe());
        g.AddMetadata("activation", network.Activation.ToString());
        g.AddMetadata("task", network.Task.ToString());
        if (network.OutputsThroughSigmoid) g.AddMetadata("outputs_through_sigmoid", "true");
        if (classNames is not null) g.AddMetadata("class_names", string.Join("\n", classNames));
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
