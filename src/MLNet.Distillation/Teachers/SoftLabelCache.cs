using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Distillation.Progress;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// The soft-label cache of one <see cref="DistillTransformer"/> (<see cref="DistillOptions.CachePath"/>): an ML.NET binary
/// data file with, per row, a hash of the teacher inputs, a hash of the served outputs and the stored outputs, and the
/// <see cref="TeacherFingerprint"/> as an annotation. Built on first use by one teacher pass, written atomically; opened
/// and checked on every later use.
/// </summary>
internal sealed class SoftLabelCache(string path, SoftLabelPrecision precision, int? topK, TeacherShard? shard, IHostEnvironment env)
{
    public const string InputHashColumn = "RowInputHash";
    public const string OutputHashColumn = "RowOutputHash";
    public const string FingerprintAnnotation = "MLNet.Distillation.CacheFingerprint";

    private readonly object _gate = new();
    private string? _modelHash;
    private (string Fingerprint, IDataView View)? _opened;

    public string Path => path;

    /// <summary>The shard of the rows this cache holds (<see cref="DistillOptions.Shard"/>), or null for every row.</summary>
    public TeacherShard? Shard => shard;

    /// <summary>Rows this cache holds for an input of <paramref name="inputRows"/> rows (null when the input does not know).</summary>
    public long? RowsFor(long? inputRows) => shard is null || inputRows is null ? inputRows : shard.RowsOf(inputRows.Value);

    /// <summary>What the error says when the cache cannot be written.</summary>
    public const string WhatToDoWhenUnwritable = "Set DistillOptions.CachePath to a file in a folder this process can write to, or to null to run the teacher without a cache.";

    public SoftLabelCodec[] CreateCodecs(OutputBinding[] outputs)
        => outputs.Select((o, j) => SoftLabelCodec.Create(precision, o.RowSize, o.Kind, j == 0 ? topK : null)).ToArray();

    public TeacherFingerprint Fingerprint(TeacherModel model, InputBinding[] inputs, OutputBinding[] outputs)
    {
        lock (_gate) _modelHash ??= TeacherFingerprint.HashFile(model.ModelPath);
        return TeacherFingerprint.Create(_modelHash, model.ModelBytes, inputs, outputs, CreateCodecs(outputs), precision, shard);
    }

    /// <summary>
    /// The cache as a data view, after checking that it was written for this teacher and these settings; runs the teacher
    /// over <paramref name="view"/>'s input and writes the file first when there is none.
    /// </summary>
    public IDataView Open(DistillDataView view)
    {
        var fingerprint = Fingerprint(view.Parent.Model, view.Inputs, view.Outputs);
        var text = fingerprint.ToString();
        lock (_gate)
        {
            if (_opened is { } o && o.Fingerprint == text && File.Exists(path)) return o.View;
            if (!File.Exists(path)) Build(view, fingerprint);
            var loaded = Load(fingerprint, view);
            _opened = (text, loaded);
            return loaded;
        }
    }

    private void Build(DistillDataView view, TeacherFingerprint fingerprint)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        // Cancelled and reported by the transform's own options and by the student fit that is reading (if any).
        var (listener, interval) = view.Parent.Progress;
        var fit = FitObserver.Current;
        var tokens = new[] { view.Parent.CancellationToken, fit?.Token ?? CancellationToken.None };
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(tokens);
        void Report(LoadingProgress p)
        {
            env.Info("Distill", p.ToString());
            listener?.Invoke(p);
            fit?.Progress?.Invoke(p);
        }
        if (fit is not null && fit.Interval < interval) interval = fit.Interval;
        var source = new CacheSourceView(view, CreateCodecs(view.Outputs), fingerprint,
            () => new ProgressMeter(LoadingStage.TeacherPass, RowsFor(view.Input.GetRowCount()), Report, cancel.Token, interval));
        try
        {
            AtomicFile.Write(path, stream => BinaryDataWriter.Write(env, source, stream, RowsPerBlock(source.Schema)), WhatToDoWhenUnwritable);
        }
        catch (Exception e) when (cancel.IsCancellationRequested)
        {
            // ML.NET's saver reports a reader's exception wrapped in its own; say plainly that the pass was cancelled.
            throw new OperationCanceledException($"The teacher pass writing soft-label cache '{path}' was cancelled; no cache file was written.",
                e, tokens.First(t => t.IsCancellationRequested));
        }
        env.Info("Distill", $"Wrote soft-label cache '{path}': {source.RowsWritten} rows{(shard is null ? "" : $" (shard {shard})")} from teacher '{view.Parent.Model.ModelPath}', " +
            $"{new FileInfo(path).Length / 1024.0:N0} KiB, in {watch.Elapsed.TotalSeconds:N1} s.");
    }

    /// <summary>About 4 MiB of stored values per block (between 64 and 8,192 rows), like ML.NET's own heuristic but without reading rows.</summary>
    public static int RowsPerBlock(DataViewSchema schema)
    {
        long bytesPerRow = 16;
        foreach (var column in schema.Skip(2))
        {
            var vector = (VectorDataViewType)column.Type;
            bytesPerRow += (long)vector.Size * (vector.ItemType.RawType == typeof(ushort) ? 2 : 4);
        }
        return (int)Math.Clamp((4L << 20) / bytesPerRow, 64, 8192);
    }

    private IDataView Load(TeacherFingerprint expected, DistillDataView view)
    {
        IDataView data;
        try
        {
            data = env.ToMLContext().Data.LoadFromBinary(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw Damaged($"ML.NET cannot read it as a binary data file ({e.Message})", e);
        }
        var hash = data.Schema.GetColumnOrNull(InputHashColumn);
        if (hash is null || hash.Value.Annotations.Schema.GetColumnOrNull(FingerprintAnnotation) is null)
            throw new InvalidDataException($"'{path}' is not a soft-label cache written by MLNet.Distillation (it has no {InputHashColumn} column with a fingerprint). " +
                "Point DistillOptions.CachePath at a new file, or delete this one.");
        ReadOnlyMemory<char> text = default;
        hash.Value.Annotations.GetValue(FingerprintAnnotation, ref text);
        var difference = TeacherFingerprint.Parse(text.ToString()).FirstDifference(expected);
        if (difference is not null)
            throw new InvalidDataException($"Soft-label cache '{path}' was written for another teacher or other settings ({difference}). " +
                "Delete the file (or set another DistillOptions.CachePath) to run the teacher again and rewrite it.");

        var codecs = CreateCodecs(view.Outputs);
        for (int j = 0; j < codecs.Length; j++)
        {
            var column = data.Schema.GetColumnOrNull(view.Outputs[j].ColumnName);
            if (column is null || !column.Value.Type.Equals(codecs[j].StoredType))
                throw Damaged($"its column '{view.Outputs[j].ColumnName}' is {(column is null ? "missing" : column.Value.Type.ToString())} instead of {codecs[j].StoredType}", null);
        }
        if (data.Schema.GetColumnOrNull(OutputHashColumn) is null) throw Damaged($"its column '{OutputHashColumn}' is missing", null);
        if (RowsFor(view.Input.GetRowCount()) is long rows && data.GetRowCount() is long cached && rows != cached)
            throw Stale(shard is null ? $"the data has {rows} rows, the cache {cached}"
                : $"shard {shard} of the data's {view.Input.GetRowCount()} rows has {rows} rows, the cache {cached}");
        return data;
    }

    /// <summary>The error for a cache whose content cannot be trusted.</summary>
    public InvalidDataException Damaged(string what, Exception? inner)
        => new($"Soft-label cache '{path}' is damaged: {what}. Delete the file to run the teacher again and rewrite it.", inner);

    /// <summary>The error for a cache written for other data.</summary>
    public InvalidDataException Stale(string what)
        => new($"Soft-label cache '{path}' does not match the data: {what}. The data changed (or arrives in another order) since the cache was written; " +
               "delete the file (or set another DistillOptions.CachePath) to run the teacher again.");
}
