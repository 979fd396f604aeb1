namespace MLNet.Distillation.Teachers;

/// <summary>
/// A small blocking FIFO for handing batch slots between the threads of a <see cref="BatchPipeline"/>. Waiting threads
/// sleep on the monitor at once instead of spinning first (as <c>BlockingCollection</c>'s semaphore does): a hand-off
/// happens once per batch, so wake-up latency costs nothing, while spinning would take CPU from the thread doing the work.
/// </summary>
internal sealed class HandoffQueue<T> where T : class
{
    private readonly Queue<T> _items = new();
    private bool _completed;
    private bool _cancelled;

    public HandoffQueue(IEnumerable<T>? initial = null)
    {
        if (initial is not null) foreach (var item in initial) _items.Enqueue(item);
    }

    public void Add(T item)
    {
        lock (_items)
        {
            _items.Enqueue(item);
            Monitor.Pulse(_items);
        }
    }

    /// <summary>No more items will be added; takers get null once the queue is empty.</summary>
    public void Complete()
    {
        lock (_items)
        {
            _completed = true;
            Monitor.PulseAll(_items);
        }
    }

    /// <summary>Wakes every taker with null, now and from then on.</summary>
    public void Cancel()
    {
        lock (_items)
        {
            _cancelled = true;
            Monitor.PulseAll(_items);
        }
    }

    /// <summary>The next item; null when the queue is completed and empty, or cancelled.</summary>
    public T? Take()
    {
        lock (_items)
        {
            while (true)
            {
                if (_cancelled) return null;
                if (_items.Count > 0) return _items.Dequeue();
                if (_completed) return null;
                Monitor.Wait(_items);
            }
        }
    }
}
