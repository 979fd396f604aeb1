using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Deploy;

/// <summary>
/// A saved MLNet.Distillation student (the zip written by <c>mlContext.Model.Save</c>) loaded with ML.NET and ONNX Runtime
/// alone, and scored one feature vector at a time. The model's input schema tells the feature count; the key values of
/// its <c>PredictedLabel</c> column are the class names. Not thread-safe (it holds one <see cref="PredictionEngine{TSrc, TDst}"/>):
/// give each thread its own, or use <c>PredictionEnginePool</c> in ASP.NET (see docs/deploy.md).
/// </summary>
public sealed class StudentModel : IDisposable
{
    private readonly PredictionEngine<StudentInput, StudentOutput> _engine;
    private readonly StudentOutput _output = new();
    private readonly bool _needsLabel;

    /// <summary>Loads the model.</summary>
    /// <param name="modelPath">Path of the model zip.</param>
    /// <param name="featureColumnName">The float vector column the student reads (default "Features").</param>
    /// <param name="labelColumnName">The label column, which a saved pipeline that starts with <c>MapValueToKey("Label")</c> still asks for (default "Label").</param>
    public StudentModel(string modelPath, string featureColumnName = "Features", string labelColumnName = "Label")
    {
        MLContext = new MLContext();
        Model = MLContext.Model.Load(modelPath, out var inputSchema);
        var features = inputSchema.GetColumnOrNull(featureColumnName)
            ?? throw new ArgumentException($"Model '{modelPath}' takes no column '{featureColumnName}'; its inputs are {string.Join(", ", inputSchema.Select(c => c.Name))}.");
        if (features.Type is not VectorDataViewType { Size: > 0 } vector || vector.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"Column '{featureColumnName}' of model '{modelPath}' is {features.Type}, not a fixed-size float vector.");
        FeatureCount = vector.Size;

        InputDefinition = SchemaDefinition.Create(typeof(StudentInput));
        InputDefinition[nameof(StudentInput.Features)].ColumnName = featureColumnName;
        InputDefinition[nameof(StudentInput.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FeatureCount);
        // An empty label is a missing key: the label conversion at the start of a saved pipeline accepts it and the student ignores it.
        _needsLabel = inputSchema.GetColumnOrNull(labelColumnName) is { Type: TextDataViewType };
        if (_needsLabel) InputDefinition[nameof(StudentInput.Label)].ColumnName = labelColumnName;
        else InputDefinition.Remove(InputDefinition[nameof(StudentInput.Label)]);

        var outputSchema = Model.GetOutputSchema(MLContext.Data.LoadFromEnumerable(Array.Empty<StudentInput>(), InputDefinition).Schema);
        ClassNames = KeyValues(outputSchema["PredictedLabel"]);
        _engine = MLContext.Model.CreatePredictionEngine<StudentInput, StudentOutput>(Model, inputSchemaDefinition: InputDefinition);
    }

    /// <summary>The context the model was loaded in.</summary>
    public MLContext MLContext { get; }

    /// <summary>The loaded model (a chain of stock ML.NET transformers around the student's ONNX graph).</summary>
    public ITransformer Model { get; }

    /// <summary>How <see cref="StudentInput"/> maps onto the model's input columns (for <c>LoadFromEnumerable</c> and prediction engines).</summary>
    public SchemaDefinition InputDefinition { get; }

    /// <summary>Number of features the model takes.</summary>
    public int FeatureCount { get; }

    /// <summary>Class names in key order: <c>PredictedLabel</c> key k is <c>ClassNames[k - 1]</c>, <c>Score[k - 1]</c> its probability.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Scores one feature vector.</summary>
    /// <param name="features"><see cref="FeatureCount"/> raw feature values, as in training.</param>
    public StudentPrediction Predict(float[] features)
    {
        if (features.Length != FeatureCount) throw new ArgumentException($"The model takes {FeatureCount} features, not {features.Length}.", nameof(features));
        var output = _output;
        _engine.Predict(new StudentInput { Features = features }, ref output);
        return ToPrediction(output.PredictedLabel, (float[])output.Score.Clone());
    }

    /// <summary>Scores many feature vectors with one <c>Transform</c> (what batch jobs and evaluations use).</summary>
    /// <param name="rows">Feature vectors of <see cref="FeatureCount"/> values.</param>
    public IReadOnlyList<StudentPrediction> PredictMany(IEnumerable<float[]> rows)
    {
        var data = MLContext.Data.LoadFromEnumerable(rows.Select(r => new StudentInput { Features = r }), InputDefinition);
        return MLContext.Data.CreateEnumerable<StudentOutput>(Model.Transform(data), reuseRowObject: false)
            .Select(o => ToPrediction(o.PredictedLabel, o.Score))
            .ToArray();
    }

    /// <summary>Key 0 is the missing key: the row had a NaN or infinite feature, so there is no class.</summary>
    private StudentPrediction ToPrediction(uint predictedLabel, float[] probabilities)
        => new(predictedLabel == 0 ? null : ClassNames[(int)predictedLabel - 1], probabilities);

    /// <inheritdoc />
    public void Dispose() => _engine.Dispose();

    private static string[] KeyValues(DataViewSchema.Column column)
    {
        var type = (column.Annotations.Schema.GetColumnOrNull("KeyValues")?.Type as VectorDataViewType)?.ItemType.RawType
            ?? throw new InvalidOperationException($"Column '{column.Name}' has no key values (class names).");
        if (type == typeof(ReadOnlyMemory<char>)) return Read<ReadOnlyMemory<char>>(column, v => v.ToString());
        if (type == typeof(float)) return Read<float>(column, v => v.ToString(CultureInfo.InvariantCulture));
        if (type == typeof(double)) return Read<double>(column, v => v.ToString(CultureInfo.InvariantCulture));
        if (type == typeof(int)) return Read<int>(column, v => v.ToString(CultureInfo.InvariantCulture));
        if (type == typeof(uint)) return Read<uint>(column, v => v.ToString(CultureInfo.InvariantCulture));
        if (type == typeof(long)) return Read<long>(column, v => v.ToString(CultureInfo.InvariantCulture));
        if (type == typeof(bool)) return Read<bool>(column, v => v.ToString(CultureInfo.InvariantCulture));
        throw new NotSupportedException($"Key values of type {type.Name} are not supported.");
    }

    private static string[] Read<T>(DataViewSchema.Column column, Func<T, string> toString)
    {
        VBuffer<T> values = default;
        column.GetKeyValues(ref values);
        return values.DenseValues().Select(toString).ToArray();
    }
}
