using Microsoft.ML.OnnxRuntime;

namespace MLNet.Distillation.Teachers;

/// <summary>Name, element type and shape of one teacher model input or output.</summary>
/// <param name="Name">Name of the tensor in the ONNX graph.</param>
/// <param name="ElementType">CLR element type (float, long, int, bool, double …).</param>
/// <param name="Dimensions">Dimensions; <c>-1</c> where the model leaves a dimension symbolic (e.g. batch, sequence length).</param>
/// <param name="SymbolicDimensions">Names of symbolic dimensions ("" where fixed).</param>
public sealed record TeacherTensorInfo(string Name, Type ElementType, long[] Dimensions, string[] SymbolicDimensions)
{
    /// <summary>Readable shape, e.g. <c>[batch, 1, 28, 28]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Dimensions.Select((d, i) => d > 0 ? d.ToString() : (string.IsNullOrEmpty(SymbolicDimensions[i]) ? "?" : SymbolicDimensions[i]))) + "]";
}

/// <summary>
/// An ONNX teacher loaded into ONNX Runtime, on the CPU or on a CUDA GPU. Owns the native session: dispose it.
/// Most users never touch this class; <c>mlContext.Transforms.Distill(...)</c> creates and owns one.
/// </summary>
public sealed class TeacherModel : IDisposable
{
    private TeacherModel(string path, InferenceSession session, bool usesGpu)
    {
        ModelPath = path;
        Session = session;
        UsesGpu = usesGpu;
        Inputs = session.InputMetadata.Select(kv => Describe(kv.Key, kv.Value)).ToArray();
        Outputs = session.OutputMetadata.Select(kv => Describe(kv.Key, kv.Value)).ToArray();
        ModelBytes = new FileInfo(path).Length;
        Metadata = session.ModelMetadata.CustomMetadataMap.ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    /// <summary>Path of the ONNX file.</summary>
    public string ModelPath { get; }

    /// <summary>Size of the ONNX file in bytes.</summary>
    public long ModelBytes { get; }

    /// <summary>True when the session runs on the CUDA execution provider.</summary>
    public bool UsesGpu { get; }

    /// <summary>The model's inputs, in graph order.</summary>
    public IReadOnlyList<TeacherTensorInfo> Inputs { get; }

    /// <summary>The model's outputs, in graph order.</summary>
    public IReadOnlyList<TeacherTensorInfo> Outputs { get; }

    /// <summary>The model's custom metadata (ONNX <c>metadata_props</c>), e.g. the class list an exporter wrote.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    internal InferenceSession Session { get; }

    /// <summary>
    /// Loads an ONNX teacher.
    /// </summary>
    /// <param name="modelPath">Path of the .onnx file.</param>
    /// <param name="gpuDeviceId">CUDA device to run on, or <c>null</c> for the CPU.</param>
    /// <param name="fallbackToCpu">When the GPU cannot be used (no CUDA libraries, no device), run on the CPU and report through <paramref name="warn"/> instead of throwing.</param>
    /// <param name="intraOpNumThreads">ONNX Runtime intra-op threads (null: ONNX Runtime's default).</param>
    /// <param name="interOpNumThreads">ONNX Runtime inter-op threads (null: ONNX Runtime's default).</param>
    /// <param name="warn">Receives warnings (e.g. the GPU fallback); may be null.</param>
    public static TeacherModel Load(string modelPath, int? gpuDeviceId = null, bool fallbackToCpu = true,
        int? intraOpNumThreads = null, int? interOpNumThreads = null, Action<string>? warn = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        var full = Path.GetFullPath(modelPath);
        if (!File.Exists(full))
            throw new FileNotFoundException($"Teacher model '{modelPath}' was not found (looked at '{full}'). Pass the path of the teacher's .onnx file.", full);

        if (gpuDeviceId is int device)
        {
            SessionOptions? gpuOptions = null;
            try
            {
                gpuOptions = CreateSessionOptions(device, intraOpNumThreads, interOpNumThreads);
                return new TeacherModel(full, CreateSession(full, modelPath, gpuOptions), usesGpu: true);
            }
            catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
            {
                gpuOptions?.Dispose();
                if (!fallbackToCpu)
                    throw new InvalidOperationException(
                        $"Teacher model '{modelPath}' could not run on GPU {device}: {e.Message} " +
                        "Install the CUDA and cuDNN libraries that Microsoft.ML.OnnxRuntime.Gpu needs, or set fallbackToCpu: true to run on the CPU.", e);
                warn?.Invoke($"Teacher model '{modelPath}': GPU {device} is not usable ({FirstLine(e.Message)}); running the teacher on the CPU instead.");
            }
        }

        return new TeacherModel(full, CreateSession(full, modelPath, CreateSessionOptions(null, intraOpNumThreads, interOpNumThreads)), usesGpu: false);
    }

    /// <summary>
    /// The ONNX Runtime settings of every teacher session: all graph optimisations, the given thread counts, the CUDA
    /// provider for a GPU, and intra-op threads that sleep rather than spin when idle. A Distill pass reads and copies
    /// the next batch on another thread while ONNX Runtime computes; spinning workers would take that thread's core
    /// (measured in docs/performance.md).
    /// </summary>
    internal static SessionOptions CreateSessionOptions(int? gpuDeviceId, int? intraOpNumThreads, int? interOpNumThreads, bool allowSpinning = false)
    {
        var options = gpuDeviceId is int device ? SessionOptions.MakeSessionOptionWithCudaProvider(device) : new SessionOptions();
        options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
        if (intraOpNumThreads is int i) options.IntraOpNumThreads = i;
        if (interOpNumThreads is int j) options.InterOpNumThreads = j;
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", allowSpinning ? "1" : "0");
        return options;
    }

    private static InferenceSession CreateSession(string full, string shownPath, SessionOptions options)
    {
        try
        {
            return new InferenceSession(full, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException(
                $"Teacher model '{shownPath}' could not be loaded by ONNX Runtime; is it an ONNX file? ({FirstLine(e.Message)}) " +
                "Export the teacher with torch.onnx.export, tf2onnx, skl2onnx or mlContext.Model.ConvertToOnnx.", e);
        }
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    private static TeacherTensorInfo Describe(string name, NodeMetadata meta)
    {
        if (!meta.IsTensor)
            return new TeacherTensorInfo(name, typeof(object), [], []);
        var dims = meta.Dimensions.Select(d => (long)d).ToArray();
        var sym = meta.SymbolicDimensions ?? new string[dims.Length];
        return new TeacherTensorInfo(name, meta.ElementType, dims, sym.Select(s => s ?? "").ToArray());
    }

    /// <inheritdoc />
    public void Dispose() => Session.Dispose();
}
