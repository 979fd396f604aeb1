using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNet.Distillation.Export;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using Xunit.Abstractions;
using static MLNet.Distillation.Tests.TestData;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.StudentBodies;

/// <summary>
/// The text students (embedding bag, with and without bigrams; 1-D CNN) on the fortunes fixture: they learn it from
/// labels and from a teacher column, export to ONNX and score through the ML.NET chain like their TorchSharp forward,
/// ignore padding, and save/load as stock ML.NET parts.
/// </summary>
public class TextStudentTests(ITestOutputHelper output)
{
    public static TheoryData<string> Kinds => ["bag", "bag-bigrams", "cnn"];

    internal static StudentArchitecture Architecture(string kind, int maxTokens = 32) => kind switch
    {
        "bag" => StudentArchitecture.EmbeddingBag(new EmbeddingBagStudentOptions { MaxTokens = maxTokens, EmbeddingDimension = 16 }),
        "bag-bigrams" => StudentArchitecture.EmbeddingBag(new EmbeddingBagStudentOptions { MaxTokens = maxTokens, EmbeddingDimension = 16, BigramBuckets = 512 }),
        "cnn" => StudentArchitecture.TextCnn(new TextCnnStudentOptions { MaxTokens = maxTokens, EmbeddingDimension = 16, KernelSizes = [2, 3], FiltersPerKernel = 16 }),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    internal static (ITransformer Model, StudentTransformer Student, IDataView Test) Fit(string kind, string? teacher = null, string label = "Label", int epochs = 30)
    {
        var ml = new MLContext(seed: 1);
        var model = FortunesData.Tokenise(ml).Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
        {
            Architecture = Architecture(kind), HiddenLayers = [], Epochs = epochs, MinimumSteps = 0, BatchSize = 32, LearningRate = 0.01,
            Seed = 2, TeacherColumnName = teacher, LabelColumnName = label,
        })).Fit(FortunesData.Split(ml, "train"));
        return (model, (StudentTransformer)model.LastTransformer, model.Transform(FortunesData.Split(ml, "test")));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void LearnsTheFortunesFromLabels(string kind)
    {
        var (_, student, test) = Fit(kind);
        double accuracy = FortunesData.Accuracy(test);
        output.WriteLine($"{student.Network}: test accuracy {accuracy:P1}");
        Assert.True(accuracy > 0.6, $"{kind}: test accuracy {accuracy:P1}; chance is 33 %");
    }

    [Fact]
    public void LearnsTheFortunesFromATeacherColumnAlone()
    {
        // No label column: every row learns from the naive-Bayes teacher's log-posteriors only.
        var (_, student, test) = Fit("bag", teacher: "Teacher", label: "NoSuchLabel");
        double accuracy = FortunesData.Accuracy(test);
        output.WriteLine($"{student.Network} from the teacher: test accuracy {accuracy:P1}");
        Assert.True(accuracy > 0.6, $"test accuracy {accuracy:P1}; chance is 33 %");
    }

    /// <summary>The test rows' token ids, truncated or padded with 0 to <paramref name="maxTokens"/>.</summary>
    private static long[] Ids(IDataView scored, int maxTokens, out int rows)
    {
        var keys = FortunesData.ReadKeyVectors(scored, "Features");
        rows = keys.Length;
        var ids = new long[rows * maxTokens];
        for (int r = 0; r < rows; r++)
            for (int t = 0; t < Math.Min(maxTokens, keys[r].Length); t++) ids[r * maxTokens + t] = keys[r][t];
        return ids;
    }

    private static float[] TorchProbabilities(StudentNetwork network, long[] ids, int rows)
    {
        using var module = MlpStudent.FromNetwork(network);
        module.eval();
        using var scope = NewDisposeScope();
        return nn.functional.softmax(module.forward(tensor(ids.Select(i => (float)i).ToArray(), [rows, network.InputSize])), 1).data<float>().ToArray();
    }

    private static float[] OnnxProbabilities(StudentNetwork network, long[] ids, int rows)
    {
        using var session = new InferenceSession(StudentOnnxExporter.ToOnnx(network));
        using var input = OrtValue.CreateTensorValueFromMemory(ids, [rows, network.InputSize]);
        using var outputs = session.Run(new RunOptions(), [StudentOnnxExporter.InputName], [input], [StudentOnnxExporter.ProbabilitiesOutput]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TheStandaloneOnnxAndTheMlNetChainMatchTheTorchSharpForward(string kind)
    {
        var (_, student, test) = Fit(kind, epochs: 5);
        var network = student.Network;
        var ids = Ids(test, network.InputSize, out int rows);
        Assert.Contains(FortunesData.ReadKeyVectors(test, "Features"), r => r.Length > network.InputSize);   // truncation is exercised
        Assert.Contains(FortunesData.ReadKeyVectors(test, "Features"), r => r.Contains(0u));                 // and words the fit never saw
        var torchProbs = TorchProbabilities(network, ids, rows);
        var onnxProbs = OnnxProbabilities(network, ids, rows);
        var chainProbs = ReadVectors(test, "Score").SelectMany(r => r).ToArray();
        for (int i = 0; i < torchProbs.Length; i++)
        {
            Assert.True(Math.Abs(torchProbs[i] - onnxProbs[i]) <= 1e-5, $"ONNX probability {i}: {torchProbs[i]} vs {onnxProbs[i]}");
            Assert.True(Math.Abs(torchProbs[i] - chainProbs[i]) <= 1e-5, $"ML.NET probability {i}: {torchProbs[i]} vs {chainProbs[i]}");
        }
    }

    /// <summary>The same weights read <paramref name="maxTokens"/> tokens per row, with padding row 0 of the embeddings replaced by <paramref name="padding"/>.</summary>
    private static StudentNetwork WithBody(StudentNetwork network, int maxTokens, float padding)
    {
        static float[] Pad(float[] table, int d, float value) { var t = (float[])table.Clone(); for (int i = 0; i < d; i++) t[i] = value + i; return t; }
        StudentBody body = network.Body switch
        {
            EmbeddingBagBody b => new EmbeddingBagBody(maxTokens, b.VocabularySize, b.Dimension, Pad(b.Embeddings, b.Dimension, padding), b.BigramBuckets, b.BigramEmbeddings),
            TextCnnBody c => new TextCnnBody(maxTokens, c.VocabularySize, c.Dimension, Pad(c.Embeddings, c.Dimension, padding), c.Convolutions),
            _ => throw new InvalidOperationException(),
        };
        return new StudentNetwork(maxTokens, network.Layers, network.Activation, null, null, network.Task, body: body);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void PaddingChangesNothing(string kind)
    {
        var (_, student, test) = Fit(kind, epochs: 5);
        var network = student.Network;
        int m = network.InputSize;
        var ids = Ids(test, m, out int rows);
        var longer = new long[rows * 3 * m];   // the same ids, then twice as much padding again
        for (int r = 0; r < rows; r++) Array.Copy(ids, r * m, longer, r * 3 * m, m);
        var wide = WithBody(network, 3 * m, padding: 5f);
        var reference = TorchProbabilities(network, ids, rows);
        foreach (var (name, probs) in new[]
        {
            ("TorchSharp, padding embedding changed", TorchProbabilities(WithBody(network, m, padding: -7f), ids, rows)),
            ("TorchSharp, 3× the padding", TorchProbabilities(wide, longer, rows)),
            ("ONNX, 3× the padding", OnnxProbabilities(wide, longer, rows)),
        })
            for (int i = 0; i < reference.Length; i++)
                Assert.True(Math.Abs(reference[i] - probs[i]) <= 1e-5, $"{name}: probability {i}: {reference[i]} vs {probs[i]}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ASavedTextPipelineLoadsWithPlainModelLoadAndScoresTheSame(string kind)
    {
        var (model, _, test) = Fit(kind, epochs: 5);
        var ml = new MLContext(seed: 1);
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "text-student.zip");
        ml.Model.Save(model, FortunesData.Load(ml).Schema, path);
        var fresh = new MLContext();
        var loaded = fresh.Model.Load(path, out _);
        var after = loaded.Transform(FortunesData.Split(fresh, "test"));
        Assert.Equal(ReadVectors(test, "Score"), ReadVectors(after, "Score"));
        Assert.Equal(ReadKeys(test, "PredictedLabel"), ReadKeys(after, "PredictedLabel"));
        (loaded as IDisposable)?.Dispose();
    }

    [Fact]
    public void TheStandaloneOnnxCarriesTheVocabularyADeployedAppMapsWordsWith()
    {
        var (model, student, test) = Fit("bag-bigrams", epochs: 5);
        using var session = new InferenceSession(StudentOnnxExporter.ToOnnx(student.Network));
        var metadata = session.ModelMetadata.CustomMetadataMap;
        int maxTokens = int.Parse(metadata[StudentOnnxExporter.MaxTokensKey], System.Globalization.CultureInfo.InvariantCulture);
        var vocabulary = System.Text.Json.JsonSerializer.Deserialize<string[]>(metadata[StudentOnnxExporter.VocabularyKey])!;
        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        model.GetOutputSchema(FortunesData.Load(new MLContext()).Schema)["Features"].GetKeyValues(ref keyValues);
        Assert.Equal(keyValues.DenseValues().Select(v => v.ToString()), vocabulary);
        Assert.Equal(32, maxTokens);

        // A deployed app with the words of each text (here ML.NET's own Tokens column): id = position in the vocabulary + 1, 0 unknown, padded.
        var ids = new Dictionary<string, long>();
        for (int i = 0; i < vocabulary.Length; i++) ids[vocabulary[i]] = i + 1;
        var words = new List<string[]>();
        using (var cursor = test.GetRowCursor([test.Schema["Tokens"]]))
        {
            var getter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(test.Schema["Tokens"]);
            VBuffer<ReadOnlyMemory<char>> v = default;
            while (cursor.MoveNext()) { getter(ref v); words.Add(v.DenseValues().Select(w => w.ToString()).ToArray()); }
        }
        var input = new long[words.Count * maxTokens];
        for (int r = 0; r < words.Count; r++)
            for (int t = 0; t < Math.Min(maxTokens, words[r].Length); t++) input[r * maxTokens + t] = ids.GetValueOrDefault(words[r][t]);
        Assert.Contains(input, id => id == 0);
        using var tensorIn = OrtValue.CreateTensorValueFromMemory(input, [words.Count, maxTokens]);
        using var outputs = session.Run(new RunOptions(), [StudentOnnxExporter.InputName], [tensorIn], [StudentOnnxExporter.ProbabilitiesOutput]);
        var onnx = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var chain = ReadVectors(test, "Score").SelectMany(r => r).ToArray();
        for (int i = 0; i < chain.Length; i++) Assert.True(Math.Abs(chain[i] - onnx[i]) <= 1e-5, $"probability {i}: ML.NET {chain[i]}, ONNX {onnx[i]}");
    }
}
