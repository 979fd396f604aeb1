using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// Holds the values of one upstream column for every row of every batch in flight, so that a cursor that reads ahead
/// (to fill teacher batches) can still hand each row's pass-through values to its consumer. Entry <c>slot × capacity + row</c>
/// belongs to row <c>row</c> of batch slot <c>slot</c>; the reader thread writes one slot while the consumer reads another.
/// Vectors are deep-copied into per-entry buffers that are reused from batch to batch, so nothing is allocated per row
/// once every entry has grown to the column's size.
/// </summary>
internal abstract class ColumnBuffer
{
    /// <summary>Copies the upstream row's current value into entry <paramref name="entry"/>.</summary>
    public abstract void Load(int entry);

    /// <summary>A getter (typed <c>ValueGetter&lt;T&gt;</c>) that serves entry <paramref name="currentEntry"/>().</summary>
    public abstract Delegate CreateGetter(Func<int> currentEntry);

    public static ColumnBuffer Create(DataViewRow row, DataViewSchema.Column column, int entries)
    {
        var type = column.Type;
        var generic = type is VectorDataViewType v
            ? typeof(VectorColumnBuffer<>).MakeGenericType(v.ItemType.RawType)
            : typeof(ScalarColumnBuffer<>).MakeGenericType(type.RawType);
        return (ColumnBuffer)Activator.CreateInstance(generic, row, column, entries)!;
    }
}

internal sealed class ScalarColumnBuffer<T> : ColumnBuffer
{
    private readonly ValueGetter<T> _source;
    private readonly T[] _values;

    public ScalarColumnBuffer(DataViewRow row, DataViewSchema.Column column, int entries)
        : this(row.GetGetter<T>(column), entries) { }

    public ScalarColumnBuffer(ValueGetter<T> source, int entries)
    {
        _source = source;
        _values = new T[entries];
    }

    public override void Load(int entry) => _source(ref _values[entry]);

    public override Delegate CreateGetter(Func<int> currentEntry)
        => (ValueGetter<T>)((ref T value) => value = _values[currentEntry()]);
}

internal sealed class VectorColumnBuffer<T> : ColumnBuffer
{
    private readonly ValueGetter<VBuffer<T>> _source;
    private readonly VBuffer<T>[] _values;
    private VBuffer<T> _scratch;

    public VectorColumnBuffer(DataViewRow row, DataViewSchema.Column column, int entries)
    {
        _source = row.GetGetter<VBuffer<T>>(column);
        _values = new VBuffer<T>[entries];
    }

    public override void Load(int entry)
    {
        _source(ref _scratch);
        _scratch.CopyTo(ref _values[entry]);
    }

    public override Delegate CreateGetter(Func<int> currentEntry)
        => (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) => _values[currentEntry()].CopyTo(ref value));
}
