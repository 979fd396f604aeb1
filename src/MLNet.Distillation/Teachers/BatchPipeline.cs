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
    private readonly HandoffQueue<TeacherBatch> _free;
    private readonly HandoffQueue<TeacherBatch> _filled = new();
    private readonly HandoffQueue<TeacherBatch> _scored = new();
    private Thread? _reader;
    private Thread? _scorer;
    private volatile ExceptionDispatchInfo? _error;

    public BatchPipeline(DataViewRowCursor upstream, TeacherBatch[] slots)
    {
        _upstream = upstream;
        _slots = slots;
        _free = new HandoffQueue<TeacherBatch>(slots);
    }

    /// <summary>
    /// Hands back the slot the consumer has finished with (null on the first call) and waits for the next scored slot;
    /// null when the upstream rows are exhausted.
    /// </summary>
    public TeacherBatch? Next(TeacherBatch? finished)
    {
        if (_reader is null) Start();
        if (finished is not null) _free.Add(finished);
        var next = _scored.Take();
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
            while (_free.Take() is { } slot)
            {
                int n = slot.Fill(_upstream);
                if (n > 0) _filled.Add(slot);
                if (n < slot.Capacity) break;
            }
        }
        catch (Exception e) { Fail(e); }
        finally { _filled.Complete(); }
    }

    private void ScoreLoop()
    {
        try
        {
            while (_filled.Take() is { } slot)
            {
                slot.Score();
                _scored.Add(slot);
            }
        }
        catch (Exception e) { Fail(e); }
        finally { _scored.Complete(); }
    }

    private void Fail(Exception e)
    {
        _error ??= ExceptionDispatchInfo.Capture(e);
        CancelAll();
    }

    private void CancelAll()
    {
        _free.Cancel();
        _filled.Cancel();
        _scored.Cancel();
    }

    /// <summary>Stops both threads (after the batch each may be working on) and releases the slots.</summary>
    public void Dispose()
    {
        CancelAll();
        _reader?.Join();
        _scorer?.Join();
        foreach (var s in _slots) s.Dispose();
    }
}
