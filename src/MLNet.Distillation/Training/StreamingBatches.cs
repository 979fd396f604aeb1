using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Progress;

namespace MLNet.Distillation.Training;

/// <summary>
/// The batches of a data view streamed through a <see cref="ShuffleBuffer"/> (<see cref="StudentOptions.Streaming"/>):
/// nothing but the buffer, one read window and one batch is in memory. <see cref="Open"/> makes the first pass, which
/// counts the rows and computes what the loop needs before its first step (feature standardisation, regression target
/// scaling, whether any row has a label; the class order from the first buffer of rows); each epoch then reads the data
/// again, a window (<see cref="RowWindow"/>) at a time, in the order the source gives — a new random one each epoch when
/// it can shuffle and <see cref="StreamingOptions.ShuffleSource"/> is on.
/// </summary>
internal sealed class StreamingBatches : IBatchSource
{
    private readonly IDataView _data;
    private readonly StudentOptions _o;
    private readonly DistillationTask _task;
    private readonly ClassAligner _aligner;
    private readonly bool _rawTargets;
    private readonly IReadOnlyList<string>? _extraColumns;
    private readonly (float[] Mean, float[] Std) _statistics;
    private readonly ShuffleBuffer _buffer;
    private readonly BatchTensors _tensors;
    private RowWindow? _window;
    private TrainingSet? _pending;   // the current window's rows, moved into the buffer one by one
    private int _pendingAt;
    private Random _rng = new(0);
    private int _epoch;
    private long _drawn;
    private readonly int _windowRows;

    private StreamingBatches(IDataView data, StudentOptions o, DistillationTask task, ClassAligner aligner, bool rawTargets, IReadOnlyList<string>? extraColumns,
        TrainingSet set, long rows, int windowRows, (float[], float[]) statistics)
    {
        _windowRows = windowRows;
        _data = data;
        _o = o;
        _task = task;
        _aligner = aligner;
        _rawTargets = rawTargets;
        _extraColumns = extraColumns;
        Set = set;
        Rows = rows;
        _statistics = statistics;
        Capacity = (int)Math.Min(o.BatchSize, rows);
        StepsPerEpoch = checked((int)((rows + Capacity - 1) / Capacity));
        _buffer = new ShuffleBuffer(set.Rows);
        _tensors = new BatchTensors(set, Capacity);
    }

    public TrainingSet Set { get; }
    public long Rows { get; }
    public int StepsPerEpoch { get; }
    public int Capacity { get; }
    public BatchPlan? Plan => null;

    public (float[] Mean, float[] Std) FeatureStatistics() => _statistics;

    /// <summary>
    /// The first pass over <paramref name="data"/> (reported as <see cref="LoadingStage.TrainingRows"/>): the row count, the
    /// statistics, and the class order decided by <paramref name="aligner"/> on the first <see cref="StreamingOptions.ShuffleBufferRows"/> rows.
    /// </summary>
    public static StreamingBatches Open(IDataView data, StudentOptions o, DistillationTask task, ClassAligner aligner, Action<string> log, bool rawTargets,
        IReadOnlyList<string>? extraColumns)
    {
        var so = o.Streaming ?? throw new InvalidOperationException("StudentOptions.Streaming is not set.");
        if (o.Architecture is Students.TokenStudentArchitecture && data.Schema.GetColumnOrNull(o.FeatureColumnName)?.Type is not VectorDataViewType { ItemType: KeyDataViewType })
            throw new ArgumentException($"StudentOptions.Streaming trains a text student from token ids given as a key column only: its vocabulary is the key count, known before any row is read. Column '{o.FeatureColumnName}' holds integer ids, whose vocabulary is the largest id in the data. Map them to keys first (mlContext.Transforms.Conversion.MapValueToKey), or train in memory (Streaming = null).", nameof(StudentOptions.Streaming));
        var meter = new ProgressMeter(LoadingStage.TrainingRows, data.GetRowCount(), p => { log(p.ToString()); o.LoadingProgress?.Invoke(p); },
            o.CancellationToken, o.LoadingProgressInterval);
        meter.Start();
        using var window = new RowWindow(so.ShuffleBufferRows, null, meter, null);
        var first = TrainingSet.Load(data, o, task, null, aligner, LoadingStage.TrainingRows, null, rawTargets, extraColumns, window);
        aligner.Freeze();
        int windowRows = StreamingOptions.WindowRows(Math.Max(first.FeatureCount, first.ExtraWidths.Values.Append(first.ClassCount).Max()));
        window.Limit = windowRows;
        var features = new ColumnMoments(first.FeatureCount);
        bool regression = task == DistillationTask.Regression && !rawTargets;
        var targets = regression && first.HasTargets ? new ColumnMoments(first.ClassCount) : null;
        var teacher = regression && first.HasTeacher ? new ColumnMoments(first.ClassCount) : null;
        bool hasLabels = false;
        for (var chunk = first; ; chunk = TrainingSet.Load(data, o, task, first, aligner, LoadingStage.TrainingRows, null, rawTargets, extraColumns, window))
        {
            for (int r = 0; r < chunk.Rows; r++)
            {
                features.Add(chunk.FeatureRow(r));
                bool labelled = chunk.Label(r) >= 0;
                hasLabels |= labelled;
                if (labelled) targets?.Add(chunk.TargetRow(r));
                teacher?.Add(chunk.FirstTeacherRow(r));
            }
            if (window.Ended) break;
        }
        meter.Finish();
        long rows = features.Count;
        TargetScaling? scaling = !regression ? null
            : hasLabels && targets is not null ? TargetScaling.Of(targets)
            : teacher is not null ? TargetScaling.Of(teacher)
            : null;
        var (mean, std) = features.MeanStd();
        // The first window (min(buffer, rows) rows) becomes the buffer's slots: no second allocation of its size.
        var slots = first.AsSlots(scaling, hasLabels);
        log($"Streaming: {rows} rows in the first pass; a shuffle buffer of {slots.Rows} rows; each epoch reads the data again.");
        return new StreamingBatches(data, o, task, aligner, rawTargets, extraColumns, slots, rows, windowRows,
            (mean.Select(m => (float)m).ToArray(), std.Select(s => (float)s).ToArray()));
    }

    public void StartEpoch(Random rng)
    {
        _rng = rng;
        _epoch++;
        _drawn = 0;
        _window?.Dispose();
        var sourceOrder = new Random(rng.Next());
        _window = new RowWindow(_windowRows, _o.Streaming!.ShuffleSource && _data.CanShuffle ? sourceOrder : null, null, Set.Scaling);
        _pending = null;
        _pendingAt = 0;
        _buffer.Fill(Put);
    }

    public Batch Next(int step)
    {
        var slots = _buffer.Draw(Capacity, _rng);
        if (slots.Length == 0)
            throw new InvalidOperationException($"The data gave {_drawn} rows in epoch {_epoch} but {Rows} in the first pass. Streaming training reads the data once per epoch and needs the same rows every time: save a changing source first (mlContext.Data.SaveAsBinary), or train in memory (StudentOptions.Streaming = null).");
        var batch = _tensors.Fill(slots);
        _drawn += slots.Length;
        _buffer.Replace(slots.Length, Put);
        if (step == StepsPerEpoch - 1 && (_buffer.Count > 0 || Put(-1)))
            throw new InvalidOperationException($"The data gave more than {Rows} rows in epoch {_epoch}, the count of the first pass. Streaming training reads the data once per epoch and needs the same rows every time: save a changing source first (mlContext.Data.SaveAsBinary), or train in memory (StudentOptions.Streaming = null).");
        return batch;
    }

    /// <summary>Writes the stream's next row into <paramref name="slot"/> (-1: only checks there is one); false when the pass has ended.</summary>
    private bool Put(int slot)
    {
        while (_pending is null || _pendingAt == _pending.Rows)
        {
            if (_window!.Ended) return false;
            _pending = TrainingSet.Load(_data, _o, _task, Set, _aligner, LoadingStage.TrainingRows, null, _rawTargets, _extraColumns, _window);
            _pendingAt = 0;
        }
        if (slot >= 0) Set.Put(slot, _pending, _pendingAt++);
        return true;
    }

    public void Dispose()
    {
        _window?.Dispose();
        _tensors.Dispose();
    }
}
