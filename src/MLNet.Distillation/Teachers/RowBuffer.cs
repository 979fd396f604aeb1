using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// Holds the values of one upstream column for every row of the current batch, so that a cursor that reads ahead
/// (to fill a teacher batch) can still hand each row's pass-through values to its consumer. Vectors are deep-copied
/// into per-slot buffers that are reused from batch to batch.
/// </summary>
internal abstract class ColumnBuffer
{
    public abstract void Load(int slot);
    public abstract Delegate CreateGetter(Func<int> currentSlot);

    public static ColumnBuffer Create(DataViewRow row, DataViewSchema.Column column, int capacity)
    {
        var type = column.Type;
        var generic = type is VectorDataViewType v
            ? typeof(VectorColumnBuffer<>).MakeGenericType(v.ItemType.RawType)
            : typeof(ScalarColumnBuffer<>).MakeGenericType(type.RawType);
        return (ColumnBuffer)Activator.CreateInstance(generic, row, column, capacity)!;
    }
}

internal sealed class ScalarColumnBuffer<T> : ColumnBuffer
{
    private readonly ValueGetter<T> _source;
    private readonly T[] _values;

    public ScalarColumnBuffer(DataViewRow row, DataViewSchema.Column column, int capacity)
        : this(row.GetGetter<T>(column), capacity) { }

    public ScalarColumnBuffer(ValueGetter<T> source, int capacity)
    {
        _source = source;
        _values = new T[capacity];
    }

    public override void Load(int slot) => _source(ref _values[slot]);

    public override Delegate CreateGetter(Func<int> currentSlot)
        => (ValueGetter<T>)((ref T value) => value = _values[currentSlot()]);
}

internal sealed class VectorColumnBuffer<T> : ColumnBuffer
{
    private readonly ValueGetter<VBuffer<T>> _source;
    private readonly VBuffer<T>[] _values;
    private VBuffer<T> _scratch;

    public VectorColumnBuffer(DataViewRow row, DataViewSchema.Column column, int capacity)
    {
        _source = row.GetGetter<VBuffer<T>>(column);
        _values = new VBuffer<T>[capacity];
    }

    public override void Load(int slot)
    {
        _source(ref _scratch);
        _scratch.CopyTo(ref _values[slot]);
    }

    public override Delegate CreateGetter(Func<int> currentSlot)
        => (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) => _values[currentSlot()].CopyTo(ref value));
}
