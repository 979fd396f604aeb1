using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Reporting;

/// <summary>
/// Scores feature rows through a student's stock ML.NET scoring chain, as a deployed app does: a
/// <see cref="PredictionEngine{TSrc, TDst}"/> for single rows and <c>Transform</c> over an in-memory view for batches. Both
/// read <c>Score</c> and <c>PredictedLabel</c>, so the whole chain runs.
/// </summary>
internal sealed class MlNetStudentRunner : IDisposable
{
    private readonly MLContext _ml;
    private readonly ITransformer _student;
    private readonly Input[] _rows;
    private readonly SchemaDefinition _inputSchema;
    private readonly PredictionEngine<Input, Output> _engine;
    private Output _output = new();

    public MlNetStudentRunner(MLContext ml, ITransformer student, string featureColumn, float[][] rows)
    {
        if (rows.Length == 0) throw new ArgumentException("No rows to time the student on.", nameof(rows));
        _ml = ml;
        _student = student;
        _rows = rows.Select(r => new Input { Features = r }).ToArray();
        _inputSchema = SchemaDefinition.Create(typeof(Input));
        _inputSchema[0].ColumnName = featureColumn;
        _inputSchema[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, rows[0].Length);
        // The engine must not own the student: by default ML.NET disposes the transformer with the engine.
        _engine = ml.Model.CreatePredictionEngine<Input, Output>(student, new PredictionEngineOptions { InputSchemaDefinition = _inputSchema, OwnsTransformer = false });
    }

    /// <summary>Scores one row with the prediction engine.</summary>
    public void RunRow(int index) => _engine.Predict(_rows[index % _rows.Length], ref _output);

    /// <summary>Scores <paramref name="count"/> rows from <paramref name="start"/> (cyclically) with one <c>Transform</c> and returns the count.</summary>
    public int RunBatch(int start, int count)
    {
        var batch = Enumerable.Range(start, count).Select(i => _rows[i % _rows.Length]);
        var scored = _student.Transform(_ml.Data.LoadFromEnumerable(batch, _inputSchema));
        var score = scored.Schema["Score"];
        var label = scored.Schema["PredictedLabel"];
        using var cursor = scored.GetRowCursor([score, label]);
        var getScore = cursor.GetGetter<VBuffer<float>>(score);
        var getLabel = cursor.GetGetter<uint>(label);
        VBuffer<float> s = default;
        uint l = 0;
        int n = 0;
        while (cursor.MoveNext()) { getScore(ref s); getLabel(ref l); n++; }
        return n;
    }

    /// <inheritdoc />
    public void Dispose() => _engine.Dispose();

    private sealed class Input
    {
        public float[] Features { get; set; } = [];
    }

    private sealed class Output
    {
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }
}
