using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// Estimator behind <c>mlContext.Transforms.CombineTeachers(...)</c>: merges the columns of several teachers (each written
/// by its own <c>Distill</c> step) into one column, by weighted probability or logit mean. Nothing is trained.
/// </summary>
public sealed class CombineTeachersEstimator : IEstimator<CombineTeachersTransformer>
{
    private readonly string _outputColumnName;
    private readonly string[] _inputColumnNames;
    private readonly double[] _weights;
    private readonly TeacherCombination _combination;

    internal CombineTeachersEstimator(string outputColumnName, string[] inputColumnNames, double[]? weights, TeacherCombination combination)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        ArgumentNullException.ThrowIfNull(inputColumnNames);
        if (inputColumnNames.Length == 0)
            throw new ArgumentException("CombineTeachers needs at least one teacher column (typically two or more, each written by mlContext.Transforms.Distill).", nameof(inputColumnNames));
        if (inputColumnNames.Distinct().Count() != inputColumnNames.Length)
            throw new ArgumentException($"CombineTeachers lists a teacher column twice ({string.Join(", ", inputColumnNames)}); give a larger weight instead.", nameof(inputColumnNames));
        _outputColumnName = outputColumnName;
        _inputColumnNames = inputColumnNames.ToArray();
        _weights = TeacherWeighting.Normalise(weights, inputColumnNames.Length, "CombineTeachers weights", "teacher columns");
        _combination = combination;
    }

    /// <inheritdoc />
    public CombineTeachersTransformer Fit(IDataView input)
    {
        var transformer = new CombineTeachersTransformer(_outputColumnName, _inputColumnNames, _weights, _combination);
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (var name in _inputColumnNames)
        {
            if (!columns.TryGetValue(name, out var c))
                throw new ArgumentException($"Teacher column '{name}' was not found. Columns: {string.Join(", ", columns.Keys)}. Add mlContext.Transforms.Distill(\"{name}\", ...) before CombineTeachers.");
            if (c.Kind != SchemaShape.Column.VectorKind.Vector || c.ItemType != NumberDataViewType.Single)
                throw new ArgumentException($"Teacher column '{name}' must be a fixed-size float vector (one value per class), as written by mlContext.Transforms.Distill.");
        }
        columns[_outputColumnName] = SchemaShapes.FloatVector(_outputColumnName);
        return new SchemaShape(columns.Values);
    }
}
