using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using static TorchSharp.torch;

namespace MLNet.Distillation.Training;

/// <summary>
/// The checkpoint file format: <c>MLNDCKPT</c>, a format version, the payload's length, the payload, and the payload's
/// SHA-256, so that a truncated or damaged file is refused by name before anything is restored. The payload holds the
/// fit's <see cref="CheckpointFingerprint"/>, the <see cref="LoopCheckpoint"/> (its history as JSON, so that new
/// <see cref="EpochProgress"/> fields travel without a format change), named tensors (raw little-endian bytes with their
/// type and shape) and the optimiser's state as TorchSharp writes it.
/// </summary>
internal static class CheckpointFile
{
    private static readonly byte[] Magic = "MLNDCKPT"u8.ToArray();

    /// <summary>The format this version writes and reads.</summary>
    public const int Version = 1;

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>What a checkpoint file holds; the caller disposes <see cref="Tensors"/>.</summary>
    public sealed record Contents(CheckpointFingerprint Fingerprint, LoopCheckpoint Loop, Dictionary<string, Tensor> Tensors, byte[] OptimizerState);

    public static void Write(Stream stream, CheckpointFingerprint fingerprint, LoopCheckpoint loop, IReadOnlyDictionary<string, Tensor> tensors, byte[] optimizerState)
    {
        var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            fingerprint.Write(w);
            WriteLoop(w, loop);
            w.Write(tensors.Count);
            foreach (var (name, t) in tensors) WriteTensor(w, name, t);
            w.Write(optimizerState.Length);
            w.Write(optimizerState);
        }
        var bytes = payload.GetBuffer().AsSpan(0, (int)payload.Length);
        using var header = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        header.Write(Magic);
        header.Write(Version);
        header.Write((long)bytes.Length);
        header.Write(bytes);
        header.Write(SHA256.HashData(bytes));
    }

    /// <summary>Reads and checks <paramref name="path"/>; throws <see cref="InvalidDataException"/> naming it when it is not a whole checkpoint of this format.</summary>
    public static Contents Read(string path)
    {
        var file = File.ReadAllBytes(path);
        int headerLength = Magic.Length + sizeof(int) + sizeof(long);
        if (file.Length < headerLength || !file.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw Damaged(path, "it does not start like a checkpoint of MLNet.Distillation");
        int version = BitConverter.ToInt32(file, Magic.Length);
        if (version != Version)
            throw new InvalidDataException($"Checkpoint '{path}' has format {version}; this version of MLNet.Distillation reads format {Version}. Resume it with the version that wrote it, or delete it to start over.");
        long length = BitConverter.ToInt64(file, Magic.Length + sizeof(int));
        if (length < 0 || headerLength + length + 32 != file.Length)
            throw Damaged(path, $"it holds {file.Length} bytes where its header announces {headerLength + length + 32} (truncated or appended to)");
        var payload = file.AsSpan(headerLength, (int)length);
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(file.AsSpan(headerLength + (int)length, 32)))
            throw Damaged(path, "its checksum does not match its contents");
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            using var r = new BinaryReader(new MemoryStream(file, headerLength, (int)length, writable: false), Encoding.UTF8);
            var fingerprint = CheckpointFingerprint.Read(r);
            var loop = ReadLoop(r);
            int count = r.ReadInt32();
            for (int i = 0; i < count; i++)
            {
                var (name, t) = ReadTensor(r);
                tensors[name] = t;
            }
            var optimizer = r.ReadBytes(r.ReadInt32());
            return new Contents(fingerprint, loop, tensors, optimizer);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or JsonException or ArgumentException or FormatException)
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw Damaged(path, e.Message);
        }
    }

    private static InvalidDataException Damaged(string path, string why)
        => new($"Checkpoint '{path}' is damaged: {why}. Delete it to resume from an earlier checkpoint in its folder, or delete the folder to start over.");

    private static void WriteLoop(BinaryWriter w, LoopCheckpoint c)
    {
        w.Write(c.Epoch);
        w.Write(c.StepInEpoch);
        w.Write(c.Step);
        w.Write((byte)c.Stop);
        w.Write(c.LossSum);
        w.Write(c.LearningRate);
        w.Write(c.Correct);
        w.Write(c.Labelled);
        w.Write(c.TermSums.Count);
        foreach (var (name, value) in c.TermSums)
        {
            w.Write(name);
            w.Write(value);
        }
        w.Write(c.StudentTime.Ticks);
        w.Write(c.EpochElapsed.Ticks);
        w.Write(c.Best);
        w.Write(c.BestGroundTruth);
        w.Write(c.SinceBest);
        WriteNetwork(w, c.BestNetwork);
        WriteNetwork(w, c.BestGroundTruthNetwork);
        w.Write(JsonSerializer.Serialize(c.History, Json));
    }

    private static LoopCheckpoint ReadLoop(BinaryReader r)
    {
        int epoch = r.ReadInt32(), stepInEpoch = r.ReadInt32();
        long step = r.ReadInt64();
        var stop = (CheckpointStop)r.ReadByte();
        double lossSum = r.ReadDouble(), lr = r.ReadDouble();
        long correct = r.ReadInt64(), labelled = r.ReadInt64();
        var terms = new List<KeyValuePair<string, double>>();
        for (int i = r.ReadInt32(); i > 0; i--) terms.Add(new(r.ReadString(), r.ReadDouble()));
        var studentTime = new TimeSpan(r.ReadInt64());
        var elapsed = new TimeSpan(r.ReadInt64());
        double best = r.ReadDouble(), bestGroundTruth = r.ReadDouble();
        int sinceBest = r.ReadInt32();
        var bestNetwork = ReadNetwork(r);
        var bestGroundTruthNetwork = ReadNetwork(r);
        var history = JsonSerializer.Deserialize<List<EpochProgress>>(r.ReadString(), Json) ?? throw new FormatException("the history is missing");
        return new LoopCheckpoint
        {
            Epoch = epoch, StepInEpoch = stepInEpoch, Step = step, Stop = stop, LossSum = lossSum, LearningRate = lr, Correct = correct, Labelled = labelled,
            TermSums = terms, StudentTime = studentTime, EpochElapsed = elapsed, Best = best, BestGroundTruth = bestGroundTruth, SinceBest = sinceBest,
            BestNetwork = bestNetwork, BestGroundTruthNetwork = bestGroundTruthNetwork, History = history,
        };
    }

    private static void WriteNetwork(BinaryWriter w, StudentNetwork? n)
    {
        w.Write(n is not null);
        if (n is null) return;
        w.Write(n.InputSize);
        w.Write((int)n.Activation);
        w.Write((int)n.Task);
        w.Write(n.OutputsThroughSigmoid);
        WriteFloats(w, n.FeatureMean);
        WriteFloats(w, n.FeatureScale);
        w.Write(n.Layers.Count);
        foreach (var l in n.Layers)
        {
            w.Write(l.Inputs);
            w.Write(l.Outputs);
            WriteFloats(w, l.Weights);
            WriteFloats(w, l.Bias);
        }
        WriteBody(w, n.Body);
    }

    private static void WriteBody(BinaryWriter w, StudentBody? body)
    {
        switch (body)
        {
            case null:
                w.Write((byte)0);
                return;
            case CnnBody cnn:
                w.Write((byte)1);
                w.Write(cnn.Channels);
                w.Write(cnn.Height);
                w.Write(cnn.Width);
                w.Write(cnn.InputMean);
                w.Write(cnn.InputScale);
                w.Write((int)cnn.Output);
                w.Write(cnn.BatchNormFolded);
                w.Write(cnn.Layers.Count);
                foreach (var l in cnn.Layers)
                {
                    WriteFloats(w, l.Weights);
                    WriteFloats(w, l.Bias);
                    w.Write(l.InputChannels);
                    w.Write(l.OutputChannels);
                    w.Write(l.KernelSize);
                    w.Write(l.Padding);
                    w.Write(l.Pool);
                }
                return;
            default:
                throw new NotSupportedException($"StudentOptions.Checkpoint cannot save a student body of type {body.GetType().Name} ({body.Describe()}).");
        }
    }

    private static StudentBody? ReadBody(BinaryReader r)
    {
        byte kind = r.ReadByte();
        if (kind == 0) return null;
        if (kind != 1) throw new FormatException($"unknown student body kind {kind}");
        int channels = r.ReadInt32(), height = r.ReadInt32(), width = r.ReadInt32();
        float mean = r.ReadSingle(), scale = r.ReadSingle();
        var output = (CnnOutput)r.ReadInt32();
        bool folded = r.ReadBoolean();
        var layers = new CnnLayer[r.ReadInt32()];
        for (int i = 0; i < layers.Length; i++)
            layers[i] = new CnnLayer(ReadFloats(r) ?? [], ReadFloats(r) ?? [], r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
        return new CnnBody(channels, height, width, mean, scale, layers, output, folded);
    }

    private static StudentNetwork? ReadNetwork(BinaryReader r)
    {
        if (!r.ReadBoolean()) return null;
        int inputs = r.ReadInt32();
        var activation = (StudentActivation)r.ReadInt32();
        var task = (DistillationTask)r.ReadInt32();
        bool sigmoid = r.ReadBoolean();
        var mean = ReadFloats(r);
        var scale = ReadFloats(r);
        var layers = new DenseLayer[r.ReadInt32()];
        for (int i = 0; i < layers.Length; i++)
        {
            int layerInputs = r.ReadInt32(), outputs = r.ReadInt32();
            layers[i] = new DenseLayer(ReadFloats(r) ?? [], ReadFloats(r) ?? [], layerInputs, outputs);
        }
        return new StudentNetwork(inputs, layers, activation, mean, scale, task, sigmoid, ReadBody(r));
    }

    private static void WriteFloats(BinaryWriter w, float[]? values)
    {
        w.Write(values?.Length ?? -1);
        if (values is not null) w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static float[]? ReadFloats(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n < 0) return null;
        var values = new float[n];
        var bytes = r.ReadBytes(n * sizeof(float));
        if (bytes.Length != n * sizeof(float)) throw new EndOfStreamException();
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }

    private static void WriteTensor(BinaryWriter w, string name, Tensor t)
    {
        using var c = t.detach().cpu().contiguous();
        w.Write(name);
        w.Write((int)c.dtype);
        w.Write(c.shape.Length);
        foreach (var d in c.shape) w.Write(d);
        var bytes = c.bytes;
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    private static (string Name, Tensor Tensor) ReadTensor(BinaryReader r)
    {
        string name = r.ReadString();
        var dtype = (ScalarType)r.ReadInt32();
        var shape = new long[r.ReadInt32()];
        for (int i = 0; i < shape.Length; i++) shape[i] = r.ReadInt64();
        var bytes = r.ReadBytes(r.ReadInt32());
        var t = empty(shape, dtype);
        if (t.bytes.Length != bytes.Length)
        {
            t.Dispose();
            throw new FormatException($"tensor '{name}' of type {dtype} and shape [{string.Join(", ", shape)}] has {bytes.Length} bytes");
        }
        t.bytes = bytes;
        return (name, t);
    }
}
