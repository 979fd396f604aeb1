using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Microsoft.ML;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// Overlaps the three stages of a teacher pass over a ring of <see cref="TeacherBatch"/> slots: a reader thread pulls rows
/// from the upstream cursor into a free slot, a scorer thread runs ONNX Runtime on a filled slot, and the consumer's own
/// thread serves the rows of a scored slot. Throughput is that of the slowest stage instead of their sum, and memory stays
/// at <c>slots × batch size</c> rows. An exception on either thread is rethrown to the consumer by <see cref="Next"/>.
/// </summary>
internal sealed class BatchPipeline : IDisposable
{
    private readonly DataViewRowCursor _upstream;
    private readonly TeacherBatch[] _slots;
    private readonly BlockingCollection<TeacherBatch> _free;
    private readonly BlockingCollection<TeacherBatch> _filled;
    private readonly BlockingCollection<TeacherBatch> _scored;
    private readonly CancellationTokenSource _cancel = new();
    private Thread? _reader;
    private Thread? _scorer;
    private volatile ExceptionDispatchInfo? _error;

    public BatchPipeline(DataViewRowCursor upstream, TeacherBatch[] slots)
    {
        _upstream = upstream;
        _slots = slots;
        _free = new BlockingCollection<TeacherBatch>(new ConcurrentQueue<TeacherBatch>(slots));
        _filled = new BlockingCollection<TeacherBatch>(new ConcurrentQueue<TeacherBatch>());
        _scored = new BlockingCollection<TeacherBatch>(new ConcurrentQueue<TeacherBatch>());
    }

    /// <summary>
    /// Hands back the slot the consumer has finished with (null on the first call) and waits for the next scored slot;
    /// null when the upstream rows are exhausted.
    /// </summary>
    public TeacherBatch? Next(TeacherBatch? finished)
    {
        if (_reader is null) Start();
        if (finished is not null) _free.Add(finished);
        TeacherBatch? next = null;
        try
        {
            if (!_scored.TryTake(out next, Timeout.Infinite, _cancel.Token)) next = null;
        }
        catch (OperationCanceledException) { }
        if (next is null) _error?.Throw();
        return next;
    }

    private void Start()
    {
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "MLNet.Distillation teacher reader" };
        _scorer = new Thread(ScoreLoop) { IsBackground = true, Name = "MLNet.Distillation teacher scorer" };
        _reader.Start();
        _scorer.Start();
    }

    private void ReadLoop()
    {
        try
        {
            while (true)
            {
                var slot = _free.Take(_cancel.Token);
                int n = slot.Fill(_upstream);
                if (n > 0) _filled.Add(slot);
                if (n < slot.Capacity) break;
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e) { Fail(e); }
        finally { _filled.CompleteAdding(); }
    }

    private void ScoreLoop()
    {
        try
        {
            foreach (var slot in _filled.GetConsumingEnumerable(_cancel.Token))
            {
                slot.Score();
                _scored.Add(slot);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e) { Fail(e); }
        finally { _scored.CompleteAdding(); }
    }

    private void Fail(Exception e)
    {
        _error ??= ExceptionDispatchInfo.Capture(e);
        _cancel.Cancel();
    }

    /// <summary>Stops both threads (after the batch each may be working on) and releases the slots.</summary>
    public void Dispose()
    {
        _cancel.Cancel();
        _reader?.Join();
        _scorer?.Join();
        foreach (var s in _slots) s.Dispose();
        _free.Dispose();
        _filled.Dispose();
        _scored.Dispose();
        _cancel.Dispose();
    }
}
