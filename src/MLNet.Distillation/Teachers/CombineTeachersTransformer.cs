using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// The fitted <c>CombineTeachers</c> step: adds one column that merges several teacher columns row by row (weighted
/// probability mean or logit mean), annotated with the <see cref="TeacherOutputKind"/> the losses read. Like the
/// <c>Distill</c> step, it is saved as an identity step: a saved model contains neither the teachers nor their combination.
/// </summary>
public sealed class CombineTeachersTransformer : ITransformer
{
    internal CombineTeachersTransformer(string outputColumnName, string[] inputColumnNames, double[] weights, TeacherCombination combination)
    {
        OutputColumnName = outputColumnName;
        InputColumnNames = inputColumnNames;
        Weights = weights;
        Combination = combination;
    }

    /// <summary>The combined column.</summary>
    public string OutputColumnName { get; }

    /// <summary>The teacher columns, in order.</summary>
    public IReadOnlyList<string> InputColumnNames { get; }

    /// <summary>Weight of each teacher column, normalised to sum to one.</summary>
    public IReadOnlyList<double> Weights { get; }

    /// <summary>How the columns are merged.</summary>
    public TeacherCombination Combination { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Bind(inputSchema).Schema;

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => new CombinedTeachersDataView(input, Bind(input.Schema));

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new CombinedTeachersDataView.Mapper(inputSchema, Bind(inputSchema));

    /// <summary>Saved as an identity step, like <see cref="DistillTransformer"/>: teacher columns never exist in a saved model.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => ((ICanSaveModel)new TransformerChain<ITransformer>()).Save(ctx);

    internal CombinedTeachersBinding Bind(DataViewSchema input)
    {
        var columns = new DataViewSchema.Column[InputColumnNames.Count];
        int size = -1;
        string? first = null;
        for (int i = 0; i < columns.Length; i++)
        {
            var name = InputColumnNames[i];
            var column = input.GetColumnOrNull(name)
                ?? throw new ArgumentException($"Teacher column '{name}' was not found. Columns: {string.Join(", ", input.Where(c => !c.IsHidden).Select(c => c.Name))}. Add mlContext.Transforms.Distill(\"{name}\", ...) before CombineTeachers.");
            if (column.Type is not VectorDataViewType { IsKnownSize: true } vt || vt.ItemType != NumberDataViewType.Single)
                throw new ArgumentException($"Teacher column '{name}' has type {column.Type}; CombineTeachers needs fixed-size float vectors (one value per class), as written by mlContext.Transforms.Distill.");
            if (size >= 0 && vt.Size != size)
                throw new ArgumentException($"Teacher column '{name}' has {vt.Size} values per row but '{first}' has {size}. Combined teachers must score the same classes, in the same order.");
            size = vt.Size;
            first ??= name;
            columns[i] = column;
        }
        var kinds = columns.Select(TeacherKindAnnotation.Read).ToArray();
        var outputKind = Combination == TeacherCombination.ProbabilityMean ? TeacherOutputKind.Probabilities : TeacherOutputKind.Logits;
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, size), TeacherKindAnnotation.Create(outputKind));
        return new CombinedTeachersBinding(builder.ToSchema(), input.Count, columns.Select(c => c.Index).ToArray(), kinds, Weights.ToArray(), Combination, size);
    }
}

/// <summary>What <see cref="CombineTeachersTransformer"/> resolved against an input schema.</summary>
internal sealed record CombinedTeachersBinding(DataViewSchema Schema, int InputCount, int[] TeacherIndices, TeacherOutputKind[] Kinds,
    double[] Weights, TeacherCombination Combination, int Classes)
{
    public TeacherCombiner CreateCombiner() => new(Kinds, Weights, Combination, Classes);
}
