using System.Diagnostics;
using MLNet.Distillation.Teachers;

namespace MLNet.Distillation.Training;

/// <summary>Synthetic rows for one step, with their teacher outputs (already in the teacher column's kind).</summary>
internal readonly record struct SyntheticBatch(float[] Features, float[] Teacher, int Rows);

/// <summary>
/// Feeds the training loop with synthetic transfer rows: for each step, makes rows from that step's real rows and
/// scores them with the online teacher; with <see cref="TransferSetOptions.Overlap"/> the next step's rows are made on a
/// background thread while the student trains. Generation stays in step order, so results do not depend on overlap.
/// </summary>
internal sealed class TransferSetSource : IDisposable
{
    private readonly TransferSetOptions _o;
    private readonly TrainingSet _train;
    private readonly TransferSetGenerator _generator;
    private readonly OnlineTeacher _teacher;
    private int[] _order = [];
    private int _batch;
    private Task<SyntheticBatch>? _pending;
    private int _pendingStep = -1;
    private long _teacherTicks;

    public TransferSetSource(TransferSetOptions options, TrainingSet train, float[] featureStd, int seed, int[]? studentImageShape = null)
    {
        _o = options;
        _train = train;
        _generator = new TransferSetGenerator(options, featureStd, unchecked(seed * 31 + 17), studentImageShape);
        _teacher = new OnlineTeacher(options.TeacherModelPath, options.TeacherOutputName, train.FeatureCount, train.ClassCount, options.TeacherThreads);
    }

    public void StartEpoch(int[] order, int batch)
    {
        _pending?.Wait();
        _pending = null;
        _pendingStep = -1;
        _order = order;
        _batch = batch;
    }

    public SyntheticBatch Next(int step)
    {
        if (_pending is not null && _pendingStep != step) { _pending.Wait(); _pending = null; }
        SyntheticBatch result = _pending is not null && _pendingStep == step ? _pending.Result : Make(step);
        _pending = null;
        int next = step + 1;
        if (_o.Overlap && next * _batch < _order.Length)
        {
            _pendingStep = next;
            _pending = Task.Run(() => Make(next));
        }
        return result;
    }

    /// <summary>Time spent making and teacher-labelling rows since the last call.</summary>
    public TimeSpan TakeTeacherTime() => TimeSpan.FromTicks(Interlocked.Exchange(ref _teacherTicks, 0));

    private SyntheticBatch Make(int step)
    {
        var watch = Stopwatch.StartNew();
        int f = _train.FeatureCount, k = _train.ClassCount;
        int start = step * _batch, count = Math.Min(_batch, _order.Length - start);
        var rows = new float[count * f];
        _train.CopyFeatures(_order.AsSpan(start, count), rows);
        int synthetic = _generator.SyntheticRows(count);
        var features = _generator.Make(rows, count, synthetic);
        var teacher = _teacher.Score(features, synthetic, k);
        if (_train.TeacherOrder is { } order) ClassAligner.Permute(teacher, order, k);
        _teacher.ConvertTo(teacher, k, _train.TeacherKind);
        Interlocked.Add(ref _teacherTicks, watch.Elapsed.Ticks);
        return new SyntheticBatch(features, teacher, synthetic);
    }

    public void Dispose()
    {
        try { _pending?.Wait(); } catch (AggregateException) { }
        _teacher.Dispose();
    }
}
