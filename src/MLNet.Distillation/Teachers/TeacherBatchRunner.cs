using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// One cursor's batch machinery: fixed input and output buffers for <see cref="Capacity"/> rows, ONNX Runtime tensors
/// pinned over them once, and fillers that copy a row's column values straight into the input buffers. Nothing is
/// allocated per row; a short final batch allocates its tensor headers once.
/// </summary>
internal sealed class TeacherBatchRunner : IDisposable
{
    private readonly TeacherModel _model;
    private readonly InputBinding[] _inputs;
    private readonly OutputBinding[] _outputs;
    private readonly Array[] _inputBuffers;
    private readonly OrtValue[] _fullInputs;
    private readonly OrtValue[] _fullOutputs;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly Action<long> _onScored;

    public TeacherBatchRunner(TeacherModel model, InputBinding[] inputs, OutputBinding[] outputs, int capacity, Action<long> onScored)
    {
        _model = model;
        _inputs = inputs;
        _outputs = outputs;
        _onScored = onScored;
        Capacity = capacity;
        _inputNames = inputs.Select(i => i.InputName).ToArray();
        _outputNames = outputs.Select(o => o.OutputName).ToArray();
        _inputBuffers = inputs.Select(i => Array.CreateInstance(i.ElementType, checked(capacity * i.RowSize))).ToArray();
        OutputBuffers = outputs.Select(o => new float[checked(capacity * o.RowSize)]).ToArray();
        _fullInputs = inputs.Select((b, i) => CreateTensor(_inputBuffers[i], b.ElementType, Shape(capacity, b.RowShape), capacity * b.RowSize)).ToArray();
        _fullOutputs = outputs.Select((o, i) => OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, OutputBuffers[i].AsMemory(), Shape(capacity, o.RowShape))).ToArray();
    }

    /// <summary>Rows per teacher call.</summary>
    public int Capacity { get; }

    /// <summary>Teacher outputs of the last batch, row-major, <c>RowSize</c> floats per row.</summary>
    public float[][] OutputBuffers { get; }

    /// <summary>The input buffer of model input <paramref name="i"/> (typed <c>T[]</c>).</summary>
    public Array InputBuffer(int i) => _inputBuffers[i];

    /// <summary>Number of model inputs.</summary>
    public int InputCount => _inputs.Length;

    /// <summary>Values per row of model input <paramref name="i"/>.</summary>
    public int InputRowSize(int i) => _inputs[i].RowSize;

    /// <summary>Values per row of output <paramref name="j"/>.</summary>
    public int OutputSize(int j) => _outputs[j].RowSize;

    /// <summary>Creates one filler per model input that copies the current row of <paramref name="row"/> into slot k of the buffers.</summary>
    public IInputFiller[] CreateFillers(DataViewRow row)
        => _inputs.Select((b, i) => (IInputFiller)Activator.CreateInstance(
            typeof(InputFiller<>).MakeGenericType(b.ElementType), row, row.Schema[b.ColumnName], _inputBuffers[i], b.RowSize, b.IsVectorColumn)!).ToArray();

    /// <summary>Runs the teacher on the first <paramref name="rows"/> rows of the input buffers.</summary>
    public void Run(int rows)
    {
        if (rows <= 0) return;
        if (rows == Capacity)
        {
            _model.Session.Run(null, _inputNames, _fullInputs, _outputNames, _fullOutputs);
        }
        else
        {
            var ins = _inputs.Select((b, i) => CreateTensor(_inputBuffers[i], b.ElementType, Shape(rows, b.RowShape), rows * b.RowSize)).ToArray();
            var outs = _outputs.Select((o, i) => OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, OutputBuffers[i].AsMemory(0, rows * o.RowSize), Shape(rows, o.RowShape))).ToArray();
            try { _model.Session.Run(null, _inputNames, ins, _outputNames, outs); }
            finally { foreach (var v in ins) v.Dispose(); foreach (var v in outs) v.Dispose(); }
        }
        _onScored(rows);
    }

    private static long[] Shape(int rows, long[] rowShape) => [rows, .. rowShape];

    private static OrtValue CreateTensor(Array buffer, Type elementType, long[] shape, int count)
    {
        if (elementType == typeof(float)) return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ((float[])buffer).AsMemory(0, count), shape);
        if (elementType == typeof(long)) return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ((long[])buffer).AsMemory(0, count), shape);
        if (elementType == typeof(int)) return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ((int[])buffer).AsMemory(0, count), shape);
        if (elementType == typeof(double)) return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ((double[])buffer).AsMemory(0, count), shape);
        if (elementType == typeof(bool)) return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ((bool[])buffer).AsMemory(0, count), shape);
        throw new NotSupportedException($"Element type {elementType.Name} is not supported as a teacher input.");
    }

    public void Dispose()
    {
        foreach (var v in _fullInputs) v.Dispose();
        foreach (var v in _fullOutputs) v.Dispose();
    }
}

/// <summary>Copies one row's column value into a slot of a teacher input buffer.</summary>
internal interface IInputFiller
{
    void Fill(int slot);
}

internal sealed class InputFiller<T> : IInputFiller where T : struct
{
    private readonly T[] _buffer;
    private readonly int _rowSize;
    private readonly ValueGetter<VBuffer<T>>? _vectorGetter;
    private readonly ValueGetter<T>? _scalarGetter;
    private VBuffer<T> _vector;

    public InputFiller(DataViewRow row, DataViewSchema.Column column, Array buffer, int rowSize, bool isVector)
    {
        _buffer = (T[])buffer;
        _rowSize = rowSize;
        if (isVector) _vectorGetter = row.GetGetter<VBuffer<T>>(column);
        else _scalarGetter = row.GetGetter<T>(column);
    }

    public void Fill(int slot)
    {
        if (_scalarGetter is not null)
        {
            _scalarGetter(ref _buffer[slot]);
            return;
        }
        _vectorGetter!(ref _vector);
        var dst = _buffer.AsSpan(slot * _rowSize, _rowSize);
        if (_vector.IsDense)
        {
            _vector.GetValues().CopyTo(dst);
            return;
        }
        dst.Clear();
        var values = _vector.GetValues();
        var indices = _vector.GetIndices();
        for (int i = 0; i < values.Length; i++) dst[indices[i]] = values[i];
    }
}
