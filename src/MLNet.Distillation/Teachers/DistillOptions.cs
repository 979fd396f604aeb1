using MLNet.Distillation.Losses;
using MLNet.Distillation.Progress;

namespace MLNet.Distillation.Teachers;

/// <summary>Options of <c>mlContext.Transforms.Distill(...)</c>: which teacher, which columns feed it, which outputs become columns.</summary>
public sealed class DistillOptions
{
    /// <summary>Path of the teacher's ONNX file. Required.</summary>
    public string TeacherModelPath { get; set; } = "";

    /// <summary>
    /// Model input name → data column name. Leave empty for a single-input teacher and set <see cref="InputColumnName"/>.
    /// Every model input must be mapped; each column's item type must be the input's element type
    /// (float32, int64 token ids, int32, bool masks, double) and its fixed vector size must equal the product of the input's non-batch dimensions.
    /// </summary>
    public Dictionary<string, string> InputColumns { get; set; } = new();

    /// <summary>The column that feeds a single-input teacher (default "Features"); ignored when <see cref="InputColumns"/> is set.</summary>
    public string InputColumnName { get; set; } = "Features";

    /// <summary>
    /// Model output name → column name. Leave empty to take the model's first output into <see cref="OutputColumnName"/>.
    /// Each output must hold float32 values; it becomes a float vector column of the output's non-batch size.
    /// </summary>
    public Dictionary<string, string> OutputColumns { get; set; } = new();

    /// <summary>The column that receives a single-output teacher's output (default "TeacherLogits"); ignored when <see cref="OutputColumns"/> is set.</summary>
    public string OutputColumnName { get; set; } = "TeacherLogits";

    /// <summary>
    /// Non-batch shape of a model input, for inputs whose shape cannot be inferred from the column size
    /// (more than one symbolic dimension besides the batch). Keyed by model input name.
    /// </summary>
    public Dictionary<string, int[]> InputShapes { get; set; } = new();

    /// <summary>
    /// Whether the (first) output holds logits or probabilities. <c>null</c> (default): detected — an output produced by a
    /// Softmax or Sigmoid node in the graph is taken as probabilities, anything else as logits. The losses read it from the column's annotation.
    /// </summary>
    public TeacherOutputKind? OutputKind { get; set; }

    /// <summary>
    /// The teacher's classes in the order of its (first) output, e.g. <c>["cat", "dog", "bird"]</c>. <c>null</c> (default):
    /// read from the model's metadata when an exporter wrote them there (keys <c>class_names</c>, <c>classes</c>,
    /// <c>labels</c>, <c>class_labels</c> or <c>id2label</c>: a JSON list, a JSON index → name object, or comma-separated text).
    /// The names become the teacher column's <c>SlotNames</c>; the student matches them with its label's key values so that
    /// a label column whose keys are in another order (e.g. <c>MapValueToKey("Label")</c> without <c>keyData</c>) is aligned.
    /// </summary>
    public string[]? ClassNames { get; set; }

    /// <summary>Rows per ONNX Runtime call (default 256). Larger batches amortise per-call overhead; memory grows with it.</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>CUDA device to run the teacher on; <c>null</c> (default) runs on the CPU.</summary>
    public int? GpuDeviceId { get; set; }

    /// <summary>When the GPU cannot be used, run on the CPU with a warning through <c>MLContext.Log</c> instead of throwing (default true).</summary>
    public bool FallbackToCpu { get; set; } = true;

    /// <summary>
    /// ONNX Runtime intra-op threads of each teacher call. <c>null</c> (default): on the CPU, the cores divided among the
    /// <see cref="ConcurrentBatches"/> (one thread per call when every core scores a batch of its own); on a GPU, ONNX
    /// Runtime's default.
    /// </summary>
    public int? IntraOpNumThreads { get; set; }

    /// <summary>
    /// How many batches the teacher scores at the same time, each on a thread of its own (all share one ONNX Runtime
    /// session). <c>null</c> (default): on the CPU with <see cref="IntraOpNumThreads"/> unset, one per core, each call
    /// single-threaded — parallelism across batches instead of inside each operator, which keeps every core busy without
    /// the per-operator synchronisation of ONNX Runtime's thread pool (measured in docs/performance.md); on a GPU, 2, so
    /// that one worker reads the next batch while the other waits for the device; on the CPU with
    /// <see cref="IntraOpNumThreads"/> set, 1 (each worker reads its batch, then scores it on ONNX Runtime's pool).
    /// Memory grows with it: <c>(ConcurrentBatches + 2) × BatchSize</c> rows are in flight per cursor.
    /// </summary>
    public int? ConcurrentBatches { get; set; }

    /// <summary>ONNX Runtime inter-op threads; <c>null</c> (default) lets ONNX Runtime decide.</summary>
    public int? InterOpNumThreads { get; set; }

    /// <summary>
    /// Soft-label cache: a file (ML.NET binary format, conventionally <c>.idv</c>) that keeps the teacher's outputs so that
    /// the teacher runs once for many student fits. <c>null</c> (default): no cache. When set, the first pass that reads a
    /// teacher column runs the teacher over every row and writes the file atomically; every later pass — in this process
    /// or any later one — reads the outputs from it and never runs the teacher. The file is fingerprinted by the teacher
    /// model's bytes, the column mapping and cache settings, and every row's teacher inputs: a cache that does not match is
    /// refused with an error saying what differs (delete the file to run the teacher again). Rows are served in the order
    /// they were written, so a cached view cannot be shuffled by its cursor (shuffle downstream instead).
    /// </summary>
    public string? CachePath { get; set; }

    /// <summary>Storage precision of the cached outputs (default <see cref="SoftLabelPrecision.Float32"/>: exact).</summary>
    public SoftLabelPrecision CachePrecision { get; set; } = SoftLabelPrecision.Float32;

    /// <summary>
    /// Keep only the <c>k</c> most probable classes of the first output in the cache; the remaining probability mass is
    /// spread evenly over the other classes, and the column then holds probabilities. <c>null</c> (default): keep all.
    /// For many-class teachers; needs <see cref="CachePath"/>. See docs/teachers.md for the measured effect.
    /// </summary>
    public int? CacheTopK { get; set; }

    /// <summary>
    /// Label only one shard of the rows into the cache, so that several processes or machines share the teacher pass:
    /// shard <c>i</c> of <c>n</c> holds the rows whose 0-based row number mod <c>n</c> is <c>i</c> (<see cref="TeacherShard"/>;
    /// deterministic by row, whatever the threads). Needs <see cref="CachePath"/>, one file per shard. A sharded transform
    /// writes its cache (<see cref="DistillTransformer.WriteCache"/>, or the first read of a teacher column) and cannot serve
    /// teacher columns itself; merge the shards' caches with <c>mlContext.Data.MergeSoftLabelShards</c> and read the merged
    /// file through an unsharded <c>Distill</c> step whose <see cref="CachePath"/> is that file (docs/scale.md).
    /// <c>null</c> (default): every row.
    /// </summary>
    public TeacherShard? Shard { get; set; }

    /// <summary>
    /// Cancels a teacher pass: checked before each batch is scored and, while a soft-label cache is written, for every
    /// row. A cancelled pass throws <see cref="OperationCanceledException"/> to the reader and leaves no cache file (the
    /// file is written atomically: a cancelled write is discarded). A student fit's
    /// <c>StudentOptions.CancellationToken</c> also stops a cache being written for it. Default: none.
    /// </summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// Called while the soft-label cache is written (<see cref="CachePath"/>) — a whole teacher pass before the first row
    /// is served — when it starts, at least once a second, and when it ends, with rows done, rows/s and, when the data
    /// knows its row count, the time left; each report is also logged to <c>MLContext.Log</c>. Without a cache the
    /// teacher runs as its rows are read, and the reader reports (a student fit: <c>StudentOptions.LoadingProgress</c>).
    /// Default: none.
    /// </summary>
    public Action<LoadingProgress>? Progress { get; set; }

    /// <summary>How often a running cache write reports (one second; tests shorten it).</summary>
    internal TimeSpan ProgressInterval { get; set; } = ProgressMeter.DefaultInterval;

    internal DistillOptions Clone() => new()
    {
        TeacherModelPath = TeacherModelPath,
        InputColumns = new(InputColumns),
        InputColumnName = InputColumnName,
        OutputColumns = new(OutputColumns),
        OutputColumnName = OutputColumnName,
        InputShapes = InputShapes.ToDictionary(kv => kv.Key, kv => (int[])kv.Value.Clone()),
        OutputKind = OutputKind,
        ClassNames = ClassNames is null ? null : (string[])ClassNames.Clone(),
        BatchSize = BatchSize,
        GpuDeviceId = GpuDeviceId,
        FallbackToCpu = FallbackToCpu,
        IntraOpNumThreads = IntraOpNumThreads,
        ConcurrentBatches = ConcurrentBatches,
        InterOpNumThreads = InterOpNumThreads,
        CachePath = CachePath,
        CachePrecision = CachePrecision,
        CacheTopK = CacheTopK,
        Shard = Shard,
        CancellationToken = CancellationToken,
        Progress = Progress,
        ProgressInterval = ProgressInterval,
    };

    /// <summary>Batches scored at once, as <see cref="ConcurrentBatches"/> resolves on this machine.</summary>
    internal int EffectiveConcurrentBatches
        => ConcurrentBatches ?? (GpuDeviceId is not null ? 2 : IntraOpNumThreads is null ? Environment.ProcessorCount : 1);

    /// <summary>Intra-op threads per teacher call, as <see cref="IntraOpNumThreads"/> resolves (null: ONNX Runtime's default).</summary>
    internal int? EffectiveIntraOpNumThreads
        => IntraOpNumThreads ?? (GpuDeviceId is null ? Math.Max(1, Environment.ProcessorCount / EffectiveConcurrentBatches) : null);
}
