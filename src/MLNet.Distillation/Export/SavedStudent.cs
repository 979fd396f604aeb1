using System.IO.Compression;
using System.Runtime.InteropServices;
using Google.Protobuf;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;

namespace MLNet.Distillation.Export;

/// <summary>
/// Reads the student back out of a model saved by <c>mlContext.Model.Save</c>: the weights of the ONNX graph ML.NET scores
/// with (the zip entry <c>OnnxModel</c> written by this library), its task, activation and class names — so that a kept
/// <c>student.zip</c> can still be exported as the standalone ONNX of <see cref="StudentOnnxExporter"/> without the
/// training run. The graph's first layer already has the feature standardisation folded in, so the network read has a
/// unit scale (and the mean, when the graph subtracts it); it computes the same outputs.
/// </summary>
public static class SavedStudent
{
    /// <summary>Reads the student network and its class names (empty for tasks without classes) from a saved model.</summary>
    /// <param name="modelPath">The model zip written by <c>mlContext.Model.Save</c> for a pipeline with a student.</param>
    /// <exception cref="InvalidDataException">The file is not a readable model zip, holds no student, or its student graph is damaged (checksum).</exception>
    /// <exception cref="NotSupportedException">The student has a body (a CNN, a text encoder): export it from the training run instead.</exception>
    public static (StudentNetwork Network, IReadOnlyList<string> ClassNames) Read(string modelPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        SavedStudentCheck.Verify(modelPath, _ => { });
        using var zip = ZipFile.OpenRead(modelPath);
        foreach (var entry in zip.Entries.Where(e => e.Name == "OnnxModel"))
        {
            var (producer, graph, metadata) = SavedStudentCheck.ReadModel(SavedStudentCheck.ReadOnnxBytes(entry));
            if (producer != "MLNet.Distillation") continue;
            if (metadata.TryGetValue("body", out var body))
                throw new NotSupportedException($"Model file '{modelPath}' holds a student with a body ({body}); only MLP students can be read back out of a saved model. " +
                    "Export a student with a body from the training run: StudentTransformer.ExportToOnnx(path).");
            var tensors = Initializers(graph);
            var layers = new List<DenseLayer>();
            for (int i = 0; tensors.TryGetValue($"layer{i}.weight", out var w); i++)
            {
                var b = tensors.TryGetValue($"layer{i}.bias", out var bias) ? bias
                    : throw new InvalidDataException($"Model file '{modelPath}': the student graph has layer{i}.weight but no layer{i}.bias.");
                layers.Add(new DenseLayer(w.Values, b.Values, (int)w.Dims[1], (int)w.Dims[0]));
            }
            if (layers.Count == 0) throw new InvalidDataException($"Model file '{modelPath}': the student graph holds no layer weights (layer0.weight).");
            int inputs = layers[0].Inputs;
            float[]? mean = tensors.TryGetValue("feature_mean", out var m) ? m.Values : null;
            float[]? scale = mean is null ? null : Enumerable.Repeat(1f, inputs).ToArray();
            var activation = Enum.TryParse<StudentActivation>(metadata.GetValueOrDefault("activation"), out var a) ? a : StudentActivation.Relu;
            var task = Enum.TryParse<DistillationTask>(metadata.GetValueOrDefault("task"), out var t) ? t : DistillationTask.MulticlassClassification;
            bool sigmoid = metadata.GetValueOrDefault("outputs_through_sigmoid") == "true";
            var names = metadata.TryGetValue("class_names", out var n) ? n.Split('\n') : task == DistillationTask.BinaryClassification ? ["False", "True"] : [];
            return (new StudentNetwork(inputs, layers, activation, mean, scale, task, sigmoid), names);
        }
        throw new InvalidDataException($"Model file '{modelPath}' holds no MLNet.Distillation student graph.");
    }

    private sealed record Tensor(long[] Dims, float[] Values);

    /// <summary>The float initializers of a serialised GraphProto (field 5: TensorProto with dims 1, data_type 2, float_data 4, name 8, raw_data 9).</summary>
    private static Dictionary<string, Tensor> Initializers(byte[] graph)
    {
        var result = new Dictionary<string, Tensor>();
        var input = new CodedInputStream(graph);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            if (WireFormat.GetTagFieldNumber(tag) != 5) { input.SkipLastField(); continue; }
            var tensor = new CodedInputStream(input.ReadBytes().ToByteArray());
            var dims = new List<long>();
            var floats = new List<float>();
            string name = "";
            int type = 0;
            for (uint t; (t = tensor.ReadTag()) != 0;)
            {
                switch (WireFormat.GetTagFieldNumber(t))
                {
                    case 1 when WireFormat.GetTagWireType(t) == WireFormat.WireType.LengthDelimited:
                        var packed = new CodedInputStream(tensor.ReadBytes().ToByteArray());
                        while (!packed.IsAtEnd) dims.Add(packed.ReadInt64());
                        break;
                    case 1: dims.Add(tensor.ReadInt64()); break;
                    case 2: type = tensor.ReadInt32(); break;
                    case 4 when WireFormat.GetTagWireType(t) == WireFormat.WireType.LengthDelimited:
                        floats.AddRange(MemoryMarshal.Cast<byte, float>(tensor.ReadBytes().Span).ToArray());
                        break;
                    case 4: floats.Add(tensor.ReadFloat()); break;
                    case 8: name = tensor.ReadString(); break;
                    case 9: floats.AddRange(MemoryMarshal.Cast<byte, float>(tensor.ReadBytes().Span).ToArray()); break;
                    default: tensor.SkipLastField(); break;
                }
            }
            if (type == (int)OnnxElementType.Float) result[name] = new Tensor(dims.ToArray(), floats.ToArray());
        }
        return result;
    }
}
