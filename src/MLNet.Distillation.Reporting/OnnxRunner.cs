using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace MLNet.Distillation.Reporting;

/// <summary>
/// Feeds rows of an <see cref="IDataView"/> to an ONNX Runtime session one at a time or in batches, for timing. Each
/// model input reads one column; the rows are read once into memory and reused cyclically, so the timed calls measure
/// what an application that already holds its features pays: for one row, copying it into an input buffer bound to the
/// session once (<see cref="OrtIoBinding"/>) and <c>RunWithBinding</c> — the leanest per-call path ONNX Runtime's .NET API
/// has, so that a small model's latency is not swamped by the harness; for a batch, tensor creation and <c>Run</c>.
/// </summary>
internal sealed class OnnxRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly Feed[] _feeds;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly RunOptions _runOptions = new();
    private OrtIoBinding? _rowBinding;

    private OnnxRunner(InferenceSession session, Feed[] feeds, string[] outputNames, int maxBatch)
    {
        _session = session;
        _feeds = feeds;
        _inputNames = feeds.Select(f => f.InputName).ToArray();
        _outputNames = outputNames;
        MaxBatch = maxBatch;
        Rows = feeds.Length == 0 ? 0 : feeds.Min(f => f.Rows);
    }

    /// <summary>Rows available (reused cyclically).</summary>
    public int Rows { get; }

    /// <summary>Largest batch the model accepts (1 when its batch dimension is fixed or absent).</summary>
    public int MaxBatch { get; }

    /// <summary>Creates a CPU session for <paramref name="model"/> (a path or the serialised bytes) bound to columns of <paramref name="data"/>.</summary>
    /// <param name="model">Path of the .onnx file, or its bytes.</param>
    /// <param name="modelName">Name used in error messages.</param>
    /// <param name="data">Rows to feed.</param>
    /// <param name="inputColumns">Model input name → column name; every model input must be mapped.</param>
    /// <param name="inputShapes">Non-batch shapes for inputs whose shape cannot be inferred from the column size.</param>
    /// <param name="outputNames">Outputs to compute; null: the model's first output.</param>
    /// <param name="maxRows">Rows to read from <paramref name="data"/> at most.</param>
    /// <param name="intraOpThreads">ONNX Runtime intra-op threads; null: its default.</param>
    public static OnnxRunner Create(object model, string modelName, IDataView data, IReadOnlyDictionary<string, string> inputColumns,
        IReadOnlyDictionary<string, int[]> inputShapes, string[]? outputNames, int maxRows, int? intraOpThreads)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (intraOpThreads is int threads) options.IntraOpNumThreads = threads;
        var session = model switch
        {
            string path => new InferenceSession(path, options),
            byte[] bytes => new InferenceSession(bytes, options),
            _ => throw new ArgumentException("Pass a model path or its bytes.", nameof(model)),
        };
        try
        {
            var feeds = new List<Feed>();
            int maxBatch = int.MaxValue;
            foreach (var (name, meta) in session.InputMetadata)
            {
                if (!inputColumns.TryGetValue(name, out var columnName))
                    throw new ArgumentException($"{modelName} input '{name}' is not mapped to a column; map every model input (DistillOptions.InputColumns).");
                var column = data.Schema.GetColumnOrNull(columnName)
                    ?? throw new ArgumentException($"{modelName} input '{name}' reads column '{columnName}', which the test data does not have.");
                var (rowShape, batch) = RowShape(modelName, name, meta, column, inputShapes);
                if (batch != BatchAxis.Dynamic) maxBatch = 1;
                feeds.Add(Feed.Create(meta.ElementType, name, rowShape, batch, data, column, maxRows, modelName));
            }
            var outputs = outputNames ?? [session.OutputMetadata.Keys.First()];
            return new OnnxRunner(session, feeds.ToArray(), outputs, maxBatch == int.MaxValue ? int.MaxValue : maxBatch);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Scores rows <paramref name="start"/> … <paramref name="start"/>+<paramref name="count"/>−1 (modulo <see cref="Rows"/>) in one call; returns the count.</summary>
    public int Run(int start, int count)
    {
        var inputs = new OrtValue[_feeds.Length];
        try
        {
            for (int i = 0; i < _feeds.Length; i++) inputs[i] = _feeds[i].Create(start, count, Rows);
            using var outputs = _session.Run(_runOptions, _inputNames, inputs, _outputNames);
            return count;
        }
        finally
        {
            foreach (var v in inputs) v?.Dispose();
        }
    }

    /// <summary>Scores row <paramref name="row"/> (modulo <see cref="Rows"/>) alone, through a binding made on the first call.</summary>
    public void RunRow(int row)
    {
        if (_rowBinding is null)
        {
            _rowBinding = _session.CreateIoBinding();
            foreach (var f in _feeds) _rowBinding.BindInput(f.InputName, f.RowValue);
            foreach (var o in _outputNames) _rowBinding.BindOutputToDevice(o, OrtMemoryInfo.DefaultInstance);
        }
        foreach (var f in _feeds) f.LoadRow(row % Rows);
        _session.RunWithBinding(_runOptions, _rowBinding);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _rowBinding?.Dispose();
        foreach (var f in _feeds) f.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    /// <summary>How a model input holds the batch: a symbolic first dimension, a first dimension fixed at 1, or none.</summary>
    private enum BatchAxis { Dynamic, FixedOne, None }

    private static (long[] RowShape, BatchAxis Batch) RowShape(string modelName, string inputName, NodeMetadata meta, DataViewSchema.Column column,
        IReadOnlyDictionary<string, int[]> inputShapes)
    {
        var dims = meta.Dimensions.Select(d => (long)d).ToArray();
        var batch = dims.Length >= 2 && dims[0] <= 0 ? BatchAxis.Dynamic : dims.Length >= 2 && dims[0] == 1 ? BatchAxis.FixedOne : BatchAxis.None;
        var rest = batch == BatchAxis.None ? dims : dims[1..];
        int size = column.Type is VectorDataViewType v ? v.Size : 1;
        if (inputShapes.TryGetValue(inputName, out var given)) rest = given.Select(d => (long)d).ToArray();
        int unknown = rest.Count(d => d <= 0);
        long known = rest.Where(d => d > 0).Aggregate(1L, (a, b) => a * b);
        if (unknown == 1 && size > 0 && size % known == 0) rest = rest.Select(d => d <= 0 ? size / known : d).ToArray();
        else if (unknown > 0)
            throw new ArgumentException($"{modelName} input '{inputName}' has shape [{string.Join(", ", dims)}] with {unknown} unknown dimensions besides the batch; give its per-row shape in DistillOptions.InputShapes.");
        long elements = rest.Aggregate(1L, (a, b) => a * b);
        if (size <= 0 || elements != size)
            throw new ArgumentException($"{modelName} input '{inputName}' takes {elements} values per row (shape [{string.Join(", ", rest)}]) but column '{column.Name}' has {(size <= 0 ? "a variable number of" : size.ToString())} values.");
        return (rest, batch);
    }

    private abstract class Feed : IDisposable
    {
        public required string InputName { get; init; }
        public abstract int Rows { get; }
        public abstract OrtValue Create(int start, int count, int rows);

        /// <summary>A one-row tensor over a buffer that <see cref="LoadRow"/> fills (made once).</summary>
        public abstract OrtValue RowValue { get; }

        /// <summary>Copies row <paramref name="row"/> into <see cref="RowValue"/>'s buffer.</summary>
        public abstract void LoadRow(int row);

        public abstract void Dispose();

        public static Feed Create(Type elementType, string name, long[] rowShape, BatchAxis batch, IDataView data, DataViewSchema.Column column, int maxRows, string modelName)
        {
            var item = column.Type is VectorDataViewType v ? v.ItemType.RawType : column.Type.RawType;
            if (item != elementType)
                throw new ArgumentException($"{modelName} input '{name}' takes {elementType.Name} values but column '{column.Name}' holds {item.Name}; convert the column (mlContext.Transforms.Conversion.ConvertType).");
            if (elementType == typeof(float)) return new Feed<float>(name, rowShape, batch, data, column, maxRows);
            if (elementType == typeof(double)) return new Feed<double>(name, rowShape, batch, data, column, maxRows);
            if (elementType == typeof(long)) return new Feed<long>(name, rowShape, batch, data, column, maxRows);
            if (elementType == typeof(int)) return new Feed<int>(name, rowShape, batch, data, column, maxRows);
            if (elementType == typeof(bool)) return new Feed<bool>(name, rowShape, batch, data, column, maxRows);
            throw new NotSupportedException($"{modelName} input '{name}' has element type {elementType.Name}; timing supports float, double, int64, int32 and bool inputs.");
        }
    }

    private sealed class Feed<T> : Feed where T : unmanaged
    {
        private readonly T[][] _rows;
        private readonly long[] _rowShape;
        private readonly BatchAxis _batch;
        private readonly int _width;
        private readonly T[] _row;
        private OrtValue? _rowValue;

        [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
        public Feed(string name, long[] rowShape, BatchAxis batch, IDataView data, DataViewSchema.Column column, int maxRows)
        {
            InputName = name;
            _rowShape = rowShape;
            _batch = batch;
            _width = (int)rowShape.Aggregate(1L, (a, b) => a * b);
            var rows = new List<T[]>();
            using var cursor = data.GetRowCursor([column]);
            if (column.Type is VectorDataViewType)
            {
                var getter = cursor.GetGetter<VBuffer<T>>(column);
                VBuffer<T> buffer = default;
                while (rows.Count < maxRows && cursor.MoveNext())
                {
                    getter(ref buffer);
                    var dense = new T[_width];
                    buffer.CopyTo(dense);
                    rows.Add(dense);
                }
            }
            else
            {
                var getter = cursor.GetGetter<T>(column);
                T value = default;
                while (rows.Count < maxRows && cursor.MoveNext()) { getter(ref value); rows.Add([value]); }
            }
            _rows = rows.ToArray();
            _row = new T[_width];
        }

        public override int Rows => _rows.Length;

        public override OrtValue RowValue => _rowValue ??= OrtValue.CreateTensorValueFromMemory(_row, _batch == BatchAxis.None ? _rowShape : [1, .. _rowShape]);

        public override void LoadRow(int row) => _rows[row].CopyTo(_row, 0);

        public override void Dispose() => _rowValue?.Dispose();

        public override OrtValue Create(int start, int count, int rows)
        {
            var buffer = new T[count * _width];
            for (int r = 0; r < count; r++) _rows[(start + r) % rows].CopyTo(buffer, r * _width);
            if (_batch != BatchAxis.Dynamic && count != 1) throw new InvalidOperationException($"Input '{InputName}' takes one row per call.");
            long[] shape = _batch == BatchAxis.None ? _rowShape : [count, .. _rowShape];
            return OrtValue.CreateTensorValueFromMemory(buffer, shape);
        }
    }
}
