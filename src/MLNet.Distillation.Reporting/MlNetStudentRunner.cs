using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;

namespace MLNet.Distillation.Reporting;

/// <summary>Scores rows of a student's feature column through its stock ML.NET scoring chain (<see cref="MlNetStudentRunner{T}"/>).</summary>
internal interface IMlNetStudentRunner : IDisposable
{
    /// <summary>Scores one row with the prediction engine.</summary>
    void RunRow(int index);

    /// <summary>Scores <paramref name="count"/> rows from <paramref name="start"/> (cyclically) with one <c>Transform</c> and returns the count.</summary>
    int RunBatch(int start, int count);
}

/// <summary>Makes the runner for the element type of the student's feature column.</summary>
internal static class MlNetStudentRunner
{
    /// <summary>
    /// Reads the first <paramref name="maxRows"/> values of <paramref name="featureColumn"/> (a float vector; a text
    /// student's token ids, keys as their raw integers, of any length) and returns a runner over them.
    /// </summary>
    public static IMlNetStudentRunner Create(MLContext ml, StudentTransformer student, IDataView data, string featureColumn, int maxRows)
    {
        var column = data.Schema[featureColumn];
        if (column.Type is not VectorDataViewType vector)
            throw new ArgumentException($"Student feature column '{featureColumn}' has type {column.Type}; a student reads a vector.", nameof(featureColumn));
        var raw = vector.ItemType.RawType;
        return raw == typeof(float) ? new MlNetStudentRunner<float>(ml, student, data, column, NumberDataViewType.Single, maxRows)
            : raw == typeof(uint) ? new MlNetStudentRunner<uint>(ml, student, data, column, NumberDataViewType.UInt32, maxRows)
            : raw == typeof(int) ? new MlNetStudentRunner<int>(ml, student, data, column, NumberDataViewType.Int32, maxRows)
            : raw == typeof(long) ? new MlNetStudentRunner<long>(ml, student, data, column, NumberDataViewType.Int64, maxRows)
            : raw == typeof(ulong) ? new MlNetStudentRunner<ulong>(ml, student, data, column, NumberDataViewType.UInt64, maxRows)
            : raw == typeof(double) ? new MlNetStudentRunner<double>(ml, student, data, column, NumberDataViewType.Double, maxRows)
            : raw == typeof(ushort) ? new MlNetStudentRunner<ushort>(ml, student, data, column, NumberDataViewType.UInt16, maxRows)
            : raw == typeof(short) ? new MlNetStudentRunner<short>(ml, student, data, column, NumberDataViewType.Int16, maxRows)
            : raw == typeof(byte) ? new MlNetStudentRunner<byte>(ml, student, data, column, NumberDataViewType.Byte, maxRows)
            : throw new ArgumentException($"Student feature column '{featureColumn}' is a vector of {vector.ItemType}, which no student reads.", nameof(featureColumn));
    }
}

/// <summary>
/// Scores feature rows through a student's stock ML.NET scoring chain, as a deployed app does: a
/// <see cref="PredictionEngine{TSrc, TDst}"/> for single rows and <c>Transform</c> over an in-memory view for batches. Both
/// read every column the student's task writes (multiclass: <c>Score</c>, <c>PredictedLabel</c>; binary: <c>Score</c>,
/// <c>Probability</c>, <c>PredictedLabel</c>; regression and ranking: <c>Score</c>), so the whole chain runs. The rows
/// keep the feature column's element type and length (a key column's raw values as plain integers, which the chain's
/// ONNX step reads the same way).
/// </summary>
internal sealed class MlNetStudentRunner<T> : IMlNetStudentRunner
{
    private readonly MLContext _ml;
    private readonly ITransformer _student;
    private readonly Input[] _rows;
    private readonly SchemaDefinition _inputSchema;
    private readonly string[] _outputColumns;
    private readonly IEngine _engine;

    public MlNetStudentRunner(MLContext ml, StudentTransformer student, IDataView data, DataViewSchema.Column column, NumberDataViewType itemType, int maxRows)
    {
        _ml = ml;
        _student = student;
        var rows = new List<Input>();
        using (var cursor = data.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<VBuffer<T>>(column);
            VBuffer<T> v = default;
            while (rows.Count < maxRows && cursor.MoveNext())
            {
                getter(ref v);
                rows.Add(new Input { Features = v.DenseValues().ToArray() });
            }
        }
        if (rows.Count == 0) throw new ArgumentException("No rows to time the student on.", nameof(data));
        _rows = rows.ToArray();
        _inputSchema = SchemaDefinition.Create(typeof(Input));
        _inputSchema[0].ColumnName = column.Name;
        _inputSchema[0].ColumnType = new VectorDataViewType(itemType, ((VectorDataViewType)column.Type).Size);
        _outputColumns = student.Task switch
        {
            DistillationTask.MulticlassClassification => ["Score", "PredictedLabel"],
            DistillationTask.BinaryClassification => ["Score", "Probability", "PredictedLabel"],
            _ => ["Score"],
        };
        _engine = student.Task switch
        {
            DistillationTask.MulticlassClassification => new Engine<MulticlassOutput>(this),
            DistillationTask.BinaryClassification => new Engine<BinaryOutput>(this),
            DistillationTask.Regression when student.Network.NumClasses > 1 => new Engine<VectorOutput>(this),
            _ => (IEngine)new Engine<ScalarOutput>(this),
        };
    }

    /// <inheritdoc />
    public void RunRow(int index) => _engine.Predict(_rows[index % _rows.Length]);

    /// <inheritdoc />
    public int RunBatch(int start, int count)
    {
        var batch = Enumerable.Range(start, count).Select(i => _rows[i % _rows.Length]);
        var scored = _student.Transform(_ml.Data.LoadFromEnumerable(batch, _inputSchema));
        var columns = _outputColumns.Select(c => scored.Schema[c]).ToArray();
        using var cursor = scored.GetRowCursor(columns);
        var read = columns.Select(c => Reader(cursor, c)).ToArray();
        int n = 0;
        while (cursor.MoveNext())
        {
            foreach (var r in read) r();
            n++;
        }
        return n;
    }

    /// <inheritdoc />
    public void Dispose() => _engine.Dispose();

    private static Action Reader(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type is VectorDataViewType) { var g = cursor.GetGetter<VBuffer<float>>(column); VBuffer<float> v = default; return () => g(ref v); }
        if (column.Type == BooleanDataViewType.Instance) { var g = cursor.GetGetter<bool>(column); bool v = false; return () => g(ref v); }
        if (column.Type is KeyDataViewType) { var g = cursor.GetGetter<uint>(column); uint v = 0; return () => g(ref v); }
        { var g = cursor.GetGetter<float>(column); float v = 0; return () => g(ref v); }
    }

    private interface IEngine : IDisposable
    {
        void Predict(Input row);
    }

    private sealed class Engine<TOutput> : IEngine where TOutput : class, new()
    {
        private readonly PredictionEngine<Input, TOutput> _engine;
        private TOutput _output = new();

        // The engine must not own the student: by default ML.NET disposes the transformer with the engine.
        public Engine(MlNetStudentRunner<T> runner) => _engine = runner._ml.Model.CreatePredictionEngine<Input, TOutput>(runner._student,
            new PredictionEngineOptions { InputSchemaDefinition = runner._inputSchema, OwnsTransformer = false });

        public void Predict(Input row) => _engine.Predict(row, ref _output);

        public void Dispose() => _engine.Dispose();
    }

    private sealed class Input
    {
        public T[] Features { get; set; } = [];
    }

    private sealed class MulticlassOutput
    {
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }

    private sealed class BinaryOutput
    {
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }

    private sealed class VectorOutput
    {
        public float[] Score { get; set; } = [];
    }

    private sealed class ScalarOutput
    {
        public float Score { get; set; }
    }
}
