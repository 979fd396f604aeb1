using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// Estimator behind <c>mlContext.Transforms.Distill(...)</c>. Fitting loads the teacher and checks it against the data's
/// schema; nothing is trained.
/// </summary>
public sealed class DistillEstimator : IEstimator<DistillTransformer>
{
    private readonly IHostEnvironment _env;
    private readonly DistillOptions _options;

    internal DistillEstimator(IHostEnvironment env, DistillOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.TeacherModelPath))
            throw new ArgumentException("DistillOptions.TeacherModelPath is required: the path of the teacher's .onnx file.", nameof(options));
        if (options.BatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "DistillOptions.BatchSize must be at least 1 (typical: 64–1024).");
        if (options.ConcurrentBatches is int c && c < 1)
            throw new ArgumentOutOfRangeException(nameof(options), c, "DistillOptions.ConcurrentBatches must be at least 1 (or null to let Distill choose).");
        if (options.IntraOpNumThreads is int t && t < 1)
            throw new ArgumentOutOfRangeException(nameof(options), t, "DistillOptions.IntraOpNumThreads must be at least 1 (or null to let Distill choose).");
        if (options.CacheTopK is int k && k < 1)
            throw new ArgumentOutOfRangeException(nameof(options), k, "DistillOptions.CacheTopK must be at least 1 (or null to keep every class).");
        if (options.CachePath is null && (options.CacheTopK is not null || options.CachePrecision != SoftLabelPrecision.Float32))
            throw new ArgumentException("DistillOptions.CacheTopK and CachePrecision apply to the soft-label cache; set DistillOptions.CachePath too.", nameof(options));
        if (options.Shard is { } shard && options.CachePath is null)
            throw new ArgumentException($"DistillOptions.Shard is {shard}: a sharded teacher pass writes its rows to a soft-label cache; set DistillOptions.CachePath " +
                "to one file per shard (e.g. labels.shard0.idv), then merge the shards with mlContext.Data.MergeSoftLabelShards.", nameof(options));
        _env = env;
        _options = options.Clone();
        if (_options.CachePath is { } cache) _options.CachePath = Path.GetFullPath(cache);
    }

    /// <inheritdoc />
    public DistillTransformer Fit(IDataView input)
    {
        // The cache is written when the teacher column is first read; an unwritable path fails here instead, before any teacher work.
        if (_options.CachePath is { } cache && !File.Exists(cache)) AtomicFile.CheckWritable(cache, SoftLabelCache.WhatToDoWhenUnwritable);
        var model = LoadTeacher();
        try
        {
            var transformer = new DistillTransformer(_env, _options, model);
            // Validate the teacher against the data now, so that a mismatch fails at Fit and names the column.
            if (HasSymbolicOutputs(model, _options)) _ = transformer.Transform(input).Schema;
            else transformer.GetOutputSchema(input.Schema);
            return transformer;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        using var model = LoadTeacher();
        var columns = inputSchema.ToDictionary(c => c.Name);
        var inputMap = _options.InputColumns.Count > 0 ? _options.InputColumns
            : new Dictionary<string, string> { [model.Inputs[0].Name] = _options.InputColumnName };
        foreach (var (input, column) in inputMap)
            if (!columns.ContainsKey(column))
                throw new ArgumentException($"Teacher model '{_options.TeacherModelPath}' input '{input}' is mapped to column '{column}', which the data does not have. Columns: {string.Join(", ", columns.Keys)}.");
        foreach (var (_, column) in TeacherBinder.OutputMap(model, _options))
            columns[column] = SchemaShapes.FloatVector(column);
        return new SchemaShape(columns.Values);
    }

    private static bool HasSymbolicOutputs(TeacherModel model, DistillOptions options)
        => TeacherBinder.OutputMap(model, options).Any(o => model.Outputs.First(x => x.Name == o.OutputName).Dimensions.Skip(1).Any(d => d <= 0));

    private TeacherModel LoadTeacher()
    {
        using var ch = _env.Start("Distill");
        return TeacherModel.Load(_options.TeacherModelPath, _options.GpuDeviceId, _options.FallbackToCpu,
            _options.EffectiveIntraOpNumThreads, _options.InterOpNumThreads, msg => ch.Warning(MessageSensitivity.None, msg));
    }
}
