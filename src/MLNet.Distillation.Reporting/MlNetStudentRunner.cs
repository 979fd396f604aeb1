using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;

namespace MLNet.Distillation.Reporting;

/// <summary>
/// Scores feature rows through a student's stock ML.NET scoring chain, as a deployed app does: a
/// <see cref="PredictionEngine{TSrc, TDst}"/> for single rows and <c>Transform</c> over an in-memory view for batches. Both
/// read every column the student's task writes (multiclass: <c>Score</c>, <c>PredictedLabel</c>; binary: <c>Score</c>,
/// <c>Probability</c>, <c>PredictedLabel</c>; regression and ranking: <c>Score</c>), so the whole chain runs.
/// </summary>
internal sealed class MlNetStudentRunner : IDisposable
{
    private readonly MLContext _ml;
    private readonly ITransformer _student;
    private readonly Input[] _rows;
    private readonly SchemaDefinition _inputSchema;
    private readonly string[] _outputColumns;
    private readonly IEngine _engine;

    public MlNetStudentRunner(MLContext ml, StudentTransformer student, string featureColumn, float[][] rows)
    {
        if (rows.Length == 0) throw new ArgumentException("No rows to time the student on.", nameof(rows));
        _ml = ml;
        _student = student;
        _rows = rows.Select(r => new Input { Features = r }).ToArray();
        _inputSchema = SchemaDefinition.Create(typeof(Input));
        _inputSchema[0].ColumnName = featureColumn;
        _inputSchema[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, rows[0].Length);
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

    /// <summary>Scores one row with the prediction engine.</summary>
    public void RunRow(int index) => _engine.Predict(_rows[index % _rows.Length]);

    /// <summary>Scores <paramref name="count"/> rows from <paramref name="start"/> (cyclically) with one <c>Transform</c> and returns the count.</summary>
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
        public Engine(MlNetStudentRunner runner) => _engine = runner._ml.Model.CreatePredictionEngine<Input, TOutput>(runner._student,
            new PredictionEngineOptions { InputSchemaDefinition = runner._inputSchema, OwnsTransformer = false });

        public void Predict(Input row) => _engine.Predict(row, ref _output);

        public void Dispose() => _engine.Dispose();
    }

    private sealed class Input
    {
        public float[] Features { get; set; } = [];
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
