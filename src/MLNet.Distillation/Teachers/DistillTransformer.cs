using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Progress;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// The fitted teacher step of a pipeline: adds the teacher's outputs as float vector columns, computed in batches with
/// ONNX Runtime, and only when a consumer asks for them. Created by <c>mlContext.Transforms.Distill(...)</c>.
/// </summary>
/// <remarks>
/// Saving a pipeline that contains this step (<c>mlContext.Model.Save</c>) writes it as an identity step: the teacher is
/// not put into the model file, and the loaded model does not produce the teacher columns. That is what a distilled
/// model should ship — the student — and keeps the teacher (often hundreds of MB) out of deployments.
/// </remarks>
public sealed class DistillTransformer : ITransformer, IDisposable
{
    /// <summary>Annotation on each teacher column naming its <see cref="TeacherOutputKind"/> ("Logits" or "Probabilities").</summary>
    public const string OutputKindAnnotation = "DistillationTeacherOutputKind";

    private readonly IHostEnvironment _env;
    private readonly DistillOptions _options;
    private long _rowsScored;
    private long _batches;

    internal DistillTransformer(IHostEnvironment env, DistillOptions options, TeacherModel model)
    {
        _env = env;
        _options = options;
        Model = model;
        if (options.BatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "DistillOptions.BatchSize must be at least 1 (typical: 64–1024).");
        BatchSize = options.BatchSize;
        ConcurrentBatches = options.EffectiveConcurrentBatches;
        OutputMap = TeacherBinder.OutputMap(model, options);
        TeacherKinds = OutputMap.Select((o, i) => TeacherBinder.DetectKind(model, options, o.OutputName, i == 0)).ToArray();
        OutputKinds = TeacherKinds.Select((k, i) => i == 0 && options.CacheTopK is not null ? TeacherOutputKind.Probabilities : k).ToArray();
        if (options.CachePath is { } cachePath)
            Cache = new SoftLabelCache(cachePath, options.CachePrecision, options.CacheTopK, options.Shard, env);
    }

    /// <summary>The loaded teacher.</summary>
    public TeacherModel Model { get; }

    /// <summary>Rows per ONNX Runtime call.</summary>
    public int BatchSize { get; }

    /// <summary>Batches the teacher scores at the same time (<see cref="DistillOptions.ConcurrentBatches"/> as resolved).</summary>
    public int ConcurrentBatches { get; }

    /// <summary>Number of rows the teacher has scored so far through this transformer (all cursors).</summary>
    public long RowsScored => Interlocked.Read(ref _rowsScored);

    /// <summary>Number of ONNX Runtime calls made so far.</summary>
    public long TeacherCalls => Interlocked.Read(ref _batches);

    /// <summary>Model output name → column name of each teacher column.</summary>
    public IReadOnlyList<(string OutputName, string ColumnName)> OutputMap { get; }

    /// <summary>
    /// What each teacher column holds, logits or probabilities, per entry of <see cref="OutputMap"/> (probabilities for the
    /// first column when <see cref="DistillOptions.CacheTopK"/> is set).
    /// </summary>
    public IReadOnlyList<TeacherOutputKind> OutputKinds { get; }

    /// <summary>Path of the soft-label cache (<see cref="DistillOptions.CachePath"/>), or null without one.</summary>
    public string? CachePath => Cache?.Path;

    /// <summary>What the teacher itself writes to each output (before any top-k in the cache).</summary>
    internal IReadOnlyList<TeacherOutputKind> TeacherKinds { get; }

    internal SoftLabelCache? Cache { get; }

    /// <summary><see cref="DistillOptions.CancellationToken"/>.</summary>
    internal CancellationToken CancellationToken => _options.CancellationToken;

    /// <summary>Where a teacher pass that writes the cache reports (<see cref="DistillOptions.Progress"/>) and how often.</summary>
    internal (Action<LoadingProgress>? Listener, TimeSpan Interval) Progress => (_options.Progress, _options.ProgressInterval);

    internal void RecordScored(long rows)
    {
        Interlocked.Add(ref _rowsScored, rows);
        Interlocked.Increment(ref _batches);
    }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Bind(inputSchema, null).Schema;

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        var (schema, inputs, outputs) = Bind(input.Schema, input);
        return new DistillDataView(input, this, inputs, outputs, schema);
    }

    /// <summary>
    /// Runs the teacher pass over <paramref name="input"/> now and writes the soft-label cache (<see cref="DistillOptions.CachePath"/>)
    /// — only the rows of <see cref="DistillOptions.Shard"/> when it is set — unless the file exists already, in which case
    /// it is checked against this teacher, these settings and the data's row count. This is what a shard process calls;
    /// without a shard it writes the cache that the first read of a teacher column would write.
    /// </summary>
    /// <param name="input">The data, in the order every shard process reads it.</param>
    /// <returns>The rows in the cache.</returns>
    /// <exception cref="InvalidOperationException">When no <see cref="DistillOptions.CachePath"/> is set.</exception>
    public long WriteCache(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (Cache is null)
            throw new InvalidOperationException("DistillTransformer.WriteCache needs a soft-label cache file: set DistillOptions.CachePath.");
        var (schema, inputs, outputs) = Bind(input.Schema, input);
        var cached = Cache.Open(new DistillDataView(input, this, inputs, outputs, schema));
        if (cached.GetRowCount() is long rows) return rows;
        long count = 0;
        using var cursor = cached.GetRowCursor([]);
        while (cursor.MoveNext()) count++;
        return count;
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        var (schema, inputs, outputs) = Bind(inputSchema, null);
        return new DistillRowMapper(this, inputSchema, schema, inputs, outputs);
    }

    /// <summary>Saves this step as an identity step: the teacher is not written into the model (see remarks).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx)
        => ((ICanSaveModel)new TransformerChain<ITransformer>()).Save(ctx);

    private (DataViewSchema Schema, InputBinding[] Inputs, OutputBinding[] Outputs) Bind(DataViewSchema inputSchema, IDataView? data)
    {
        var inputs = TeacherBinder.BindInputs(Model, _options, inputSchema);
        var outputs = new OutputBinding[OutputMap.Count];
        for (int j = 0; j < outputs.Length; j++)
        {
            var (name, column) = OutputMap[j];
            var info = Model.Outputs.First(o => o.Name == name);
            if (info.ElementType != typeof(float))
                throw new NotSupportedException($"Teacher model '{Model.ModelPath}' output '{name}' holds {info.ElementType.Name} values; teacher columns must be float32 (map only the float outputs with DistillOptions.OutputColumns).");
            var rowDims = info.Dimensions.Skip(1).ToArray();
            bool known = rowDims.All(d => d > 0);
            int size = known ? checked((int)rowDims.Aggregate(1L, (a, b) => a * b)) : ProbeOutputSize(inputs, name, inputSchema, data);
            outputs[j] = new OutputBinding(name, column, size, TeacherKinds[j], known ? rowDims : [size]);
        }
        if (_options.CacheTopK is int k && k >= outputs[0].RowSize)
            throw new ArgumentException($"DistillOptions.CacheTopK is {k}, but teacher model '{Model.ModelPath}' output '{outputs[0].OutputName}' has only {outputs[0].RowSize} values per row; use a k below that, or null to keep every class.");

        var classNames = TeacherClassNames.Resolve(_options, Model, outputs[0].RowSize);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        for (int j = 0; j < outputs.Length; j++)
            builder.AddColumn(outputs[j].ColumnName, new VectorDataViewType(NumberDataViewType.Single, outputs[j].RowSize),
                TeacherKindAnnotation.Create(OutputKinds[j], j == 0 ? classNames : null));
        return (builder.ToSchema(), inputs, outputs);
    }

    /// <summary>Output sizes that the model leaves symbolic are found by running the teacher on the first row.</summary>
    private int ProbeOutputSize(InputBinding[] inputs, string outputName, DataViewSchema schema, IDataView? data)
    {
        if (data is null)
            throw new InvalidOperationException($"Teacher model '{Model.ModelPath}' output '{outputName}' has a symbolic size; its column size is known only once data flows. Call Transform on data before asking for the schema.");
        using var cursor = data.GetRowCursor(inputs.Select(b => schema[b.ColumnName]));
        if (!cursor.MoveNext())
            throw new InvalidOperationException($"Teacher model '{Model.ModelPath}' output '{outputName}' has a symbolic size and the data has no rows to find it from.");
        using var runner = new TeacherBatchRunner(Model, inputs, [], 1, _ => { });
        var fillers = runner.CreateFillers(cursor);
        foreach (var f in fillers) f.Fill(0);
        var feeds = inputs.Select((b, i) => OrtValueFor(runner.InputBuffer(i), b)).ToArray();
        try
        {
            using var runOptions = new Microsoft.ML.OnnxRuntime.RunOptions();
            using var results = Model.Session.Run(runOptions, inputs.Select(b => b.InputName).ToArray(), feeds, [outputName]);
            var shape = results[0].GetTensorTypeAndShape().Shape;
            return checked((int)shape.Skip(1).Aggregate(1L, (a, b) => a * b));
        }
        finally { foreach (var f in feeds) f.Dispose(); }
    }

    private static Microsoft.ML.OnnxRuntime.OrtValue OrtValueFor(Array buffer, InputBinding b)
    {
        long[] shape = [1, .. b.RowShape];
        return buffer switch
        {
            float[] f => Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(f, shape),
            long[] l => Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(l, shape),
            int[] i => Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(i, shape),
            double[] d => Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(d, shape),
            bool[] x => Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(x, shape),
            _ => throw new NotSupportedException(buffer.GetType().Name),
        };
    }

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose() => Model.Dispose();
}
