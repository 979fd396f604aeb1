using System.Runtime.ExceptionServices;
using Microsoft.ML;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// Runs a teacher pass on <c>workers</c> threads over a ring of <see cref="TeacherBatch"/> slots. Each worker takes a
/// free slot, fills it from the upstream cursor (one worker at a time, under a lock, so rows keep their order), releases
/// the cursor and runs ONNX Runtime on its slot while the next worker reads. The consumer's own thread serves the rows of
/// scored slots in the order they were read. With several workers, reading and scoring overlap and every core scores a
/// batch of its own; the batch a worker scores is the one it has just copied, still in its core's cache. Memory stays at
/// <c>slots × batch size</c> rows. An exception on any worker is rethrown to the consumer by <see cref="Next"/>.
/// </summary>
internal sealed class BatchPipeline : IDisposable
{
    private readonly DataViewRowCursor _upstream;
    private readonly TeacherBatch[] _slots;
    private readonly HandoffQueue<TeacherBatch> _free;
    private readonly HandoffQueue<TeacherBatch> _inOrder = new(); // filled slots, to the consumer, in read order
    private readonly object _read = new();                        // one reader of the upstream cursor at a time
    private readonly object _gate = new();                        // guards TeacherBatch.IsScored and _stopped
    private readonly Thread[] _workers;
    private bool _exhausted;                                      // guarded by _read
    private bool _started;
    private bool _stopped;
    private volatile ExceptionDispatchInfo? _error;

    /// <param name="upstream">The cursor the workers drain.</param>
    /// <param name="slots">The batch slots; <paramref name="workers"/> + 2 keep every worker busy.</param>
    /// <param name="workers">Threads that read and score batches, each a batch of its own at a time.</param>
    public BatchPipeline(DataViewRowCursor upstream, TeacherBatch[] slots, int workers)
    {
        _upstream = upstream;
        _slots = slots;
        _free = new HandoffQueue<TeacherBatch>(slots);
        _workers = new Thread[workers];
    }

    /// <summary>
    /// Hands back the slot the consumer has finished with (null on the first call) and waits for the next slot in read
    /// order to be scored; null when the upstream rows are exhausted.
    /// </summary>
    public TeacherBatch? Next(TeacherBatch? finished)
    {
        if (!_started) Start();
        if (finished is not null) _free.Add(finished);
        var next = _inOrder.Take();
        if (next is not null)
        {
            lock (_gate)
                while (!next.IsScored && !_stopped) Monitor.Wait(_gate);
            if (!next.IsScored) next = null;
        }
        if (next is null) _error?.Throw();
        return next;
    }

    private void Start()
    {
        _started = true;
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = $"MLNet.Distillation teacher worker {i + 1}" };
            _workers[i].Start();
        }
    }

    private void Work()
    {
        try
        {
            while (_free.Take() is { } slot)
            {
                lock (_read)
                {
                    if (_exhausted || _error is not null) return;   // a cursor that has thrown is not read again
                    lock (_gate) slot.IsScored = false;
                    int n = slot.Fill(_upstream);
                    if (n > 0) _inOrder.Add(slot);
                    if (n < slot.Capacity)
                    {
                        _exhausted = true;
                        _inOrder.Complete();
                    }
                    if (n == 0) return;
                }
                slot.Score();
                lock (_gate)
                {
                    slot.IsScored = true;
                    Monitor.PulseAll(_gate);
                }
            }
        }
        catch (Exception e) { Fail(e); }
    }

    private void Fail(Exception e)
    {
        _error ??= ExceptionDispatchInfo.Capture(e);
        Stop();
    }

    private void Stop()
    {
        _free.Cancel();
        _inOrder.Cancel();
        lock (_gate)
        {
            _stopped = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Stops every worker (after the batch each may be working on) and releases the slots.</summary>
    public void Dispose()
    {
        Stop();
        foreach (var w in _workers) w?.Join();
        foreach (var s in _slots) s.Dispose();
    }
}
