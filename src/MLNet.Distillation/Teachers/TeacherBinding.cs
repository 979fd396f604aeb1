using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Teachers;

/// <summary>A model input bound to a data column: element type checked, non-batch shape resolved.</summary>
internal sealed record InputBinding(string InputName, string ColumnName, Type ElementType, long[] RowShape, bool IsVectorColumn)
{
    public int RowSize => checked((int)RowShape.Aggregate(1L, (a, b) => a * b));
}

/// <summary>A model output bound to a float vector column.</summary>
/// <summary>
/// A teacher output bound to a column: <paramref name="RowSize"/> values per row, in the output's per-row shape
/// <paramref name="RowShape"/> (empty for an output of rank 1, [N], such as a regression model's).
/// </summary>
internal sealed record OutputBinding(string OutputName, string ColumnName, int RowSize, TeacherOutputKind Kind, long[] RowShape);

/// <summary>Validates a teacher against a data schema and resolves how each input/output maps to a column.</summary>
internal static class TeacherBinder
{
    private static readonly Type[] SupportedInputTypes = [typeof(float), typeof(double), typeof(long), typeof(int), typeof(bool)];

    public static InputBinding[] BindInputs(TeacherModel model, DistillOptions options, DataViewSchema schema)
    {
        var map = options.InputColumns.Count > 0
            ? options.InputColumns
            : model.Inputs.Count == 1
                ? new Dictionary<string, string> { [model.Inputs[0].Name] = options.InputColumnName }
                : throw new ArgumentException(
                    $"Teacher model '{model.ModelPath}' has {model.Inputs.Count} inputs ({string.Join(", ", model.Inputs.Select(i => $"'{i.Name}' {i.ShapeText}"))}); " +
                    "map each one to a column with DistillOptions.InputColumns, e.g. { [\"input_ids\"] = \"TokenIds\", [\"attention_mask\"] = \"Mask\" }.");

        foreach (var name in map.Keys)
            if (model.Inputs.All(i => i.Name != name))
                throw new ArgumentException($"Teacher model '{model.ModelPath}' has no input named '{name}'. Its inputs are: {string.Join(", ", model.Inputs.Select(i => $"'{i.Name}' {i.ShapeText}"))}.");

        var result = new List<InputBinding>();
        foreach (var input in model.Inputs)
        {
            if (!map.TryGetValue(input.Name, out var columnName))
                throw new ArgumentException($"Teacher model '{model.ModelPath}' input '{input.Name}' {input.ShapeText} is not mapped to any column. Add it to DistillOptions.InputColumns.");
            if (input.Dimensions.Length > 0 && input.Dimensions[0] > 0)
                throw new ArgumentException(
                    $"Teacher model '{model.ModelPath}' input '{input.Name}' {input.ShapeText} has a fixed batch size of {input.Dimensions[0]}, but Distill feeds the " +
                    "teacher batches of DistillOptions.BatchSize rows (fewer in the last one). Re-export the teacher with a dynamic batch axis, e.g. " +
                    $"torch.onnx.export(..., dynamic_axes={{\"{input.Name}\": {{0: \"batch\"}}}}) (and the same for its outputs), tf2onnx --inputs {input.Name}[-1,...], " +
                    "or skl2onnx with None as the first dimension of initial_types.");
            if (!SupportedInputTypes.Contains(input.ElementType))
                throw new NotSupportedException($"Teacher model '{model.ModelPath}' input '{input.Name}' has element type {input.ElementType.Name}; supported are float32, float64, int64, int32 and bool.");
            var column = schema.GetColumnOrNull(columnName)
                ?? throw new ArgumentException($"Teacher model '{model.ModelPath}' input '{input.Name}' is mapped to column '{columnName}', which the data does not have. Columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}.");

            var type = column.Type;
            var itemType = type is VectorDataViewType v ? v.ItemType : type;
            if (itemType.RawType != input.ElementType || itemType is KeyDataViewType)
                throw new ArgumentException(
                    $"Column '{columnName}' has type {type}, but teacher model '{model.ModelPath}' input '{input.Name}' expects {TypeName(input.ElementType)} values {input.ShapeText}. " +
                    $"Convert the column first, e.g. mlContext.Transforms.Conversion.ConvertType(\"{columnName}\", outputKind: DataKind.{KindName(input.ElementType)}).");
            int size;
            bool isVector = type is VectorDataViewType;
            if (type is VectorDataViewType vt)
            {
                if (!vt.IsKnownSize)
                    throw new ArgumentException($"Column '{columnName}' is a variable-size vector, but teacher model '{model.ModelPath}' input '{input.Name}' {input.ShapeText} is fed in batches and needs a fixed size per row. Pad the column to a fixed length (e.g. token ids to the maximum sequence length, with a mask).");
                size = vt.Size;
            }
            else size = 1;

            result.Add(new InputBinding(input.Name, columnName, input.ElementType, ResolveRowShape(model, input, options, columnName, size), isVector));
        }
        return result.ToArray();
    }

    private static long[] ResolveRowShape(TeacherModel model, TeacherTensorInfo input, DistillOptions options, string columnName, int size)
    {
        var dims = input.Dimensions;
        long[] row = dims.Length == 0 ? [] : dims.Skip(1).ToArray();
        if (options.InputShapes.TryGetValue(input.Name, out var given))
        {
            if (given.Length != row.Length || given.Where((g, i) => row[i] > 0 && row[i] != g).Any() || given.Any(g => g <= 0))
                throw new ArgumentException($"DistillOptions.InputShapes['{input.Name}'] = [{string.Join(", ", given)}] does not fit teacher model '{model.ModelPath}' input '{input.Name}' {input.ShapeText} (give the positive dimensions after the batch).");
            row = given.Select(g => (long)g).ToArray();
        }
        int unknown = row.Count(d => d <= 0);
        long known = row.Where(d => d > 0).Aggregate(1L, (a, b) => a * b);
        if (unknown == 1)
        {
            if (size % known != 0)
                throw new ArgumentException($"Column '{columnName}' has {size} values per row, which cannot fill teacher model '{model.ModelPath}' input '{input.Name}' {input.ShapeText} (not a multiple of {known}).");
            row = row.Select(d => d > 0 ? d : size / known).ToArray();
        }
        else if (unknown > 1)
            throw new ArgumentException($"Teacher model '{model.ModelPath}' input '{input.Name}' {input.ShapeText} has several symbolic dimensions besides the batch; give its row shape in DistillOptions.InputShapes[\"{input.Name}\"].");
        long expected = row.Aggregate(1L, (a, b) => a * b);
        if (expected != size)
            throw new ArgumentException(
                $"Column '{columnName}' has {size} values per row, but teacher model '{model.ModelPath}' input '{input.Name}' {input.ShapeText} needs {expected} per row " +
                $"({string.Join("×", row)}). Feed it the column the teacher was trained on, or fix the feature pipeline.");
        return row;
    }

    public static (string OutputName, string ColumnName)[] OutputMap(TeacherModel model, DistillOptions options)
    {
        if (options.OutputColumns.Count == 0)
            return [(model.Outputs[0].Name, options.OutputColumnName)];
        foreach (var name in options.OutputColumns.Keys)
            if (model.Outputs.All(o => o.Name != name))
                throw new ArgumentException($"Teacher model '{model.ModelPath}' has no output named '{name}'. Its outputs are: {string.Join(", ", model.Outputs.Select(o => $"'{o.Name}' {o.ShapeText}"))}.");
        return options.OutputColumns.Select(kv => (kv.Key, kv.Value)).ToArray();
    }

    public static TeacherOutputKind DetectKind(TeacherModel model, DistillOptions options, string outputName, bool isFirst)
    {
        if (isFirst && options.OutputKind is TeacherOutputKind declared) return declared;
        return OnnxGraphInspector.KindOf(model.ModelPath, outputName);
    }

    private static string TypeName(Type t) => t == typeof(float) ? "float32" : t == typeof(double) ? "float64" : t == typeof(long) ? "int64" : t == typeof(int) ? "int32" : t == typeof(bool) ? "bool" : t.Name;
    private static string KindName(Type t) => t == typeof(float) ? "Single" : t == typeof(double) ? "Double" : t == typeof(long) ? "Int64" : t == typeof(int) ? "Int32" : t == typeof(bool) ? "Boolean" : t.Name;
}
