using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Teachers;

namespace MLNet.Distillation.Parquet;

/// <summary>
/// The column annotations a Parquet file keeps, as key-value metadata of the file: whether a teacher column holds logits
/// or probabilities (<see cref="DistillTransformer.OutputKindAnnotation"/>, key <c>MLNet.Distillation.TeacherOutputKind:&lt;column&gt;</c>,
/// value <c>Logits</c> or <c>Probabilities</c>) and a vector column's slot names (the teacher's class order, key
/// <c>MLNet.Distillation.SlotNames:&lt;column&gt;</c>, a JSON list of strings). A writer elsewhere (pyarrow's
/// <c>schema.with_metadata</c>) can set them too; a column without them reads as logits without slot names.
/// </summary>
internal static class ParquetAnnotations
{
    public const string KindPrefix = "MLNet.Distillation.TeacherOutputKind:";
    public const string SlotNamesPrefix = "MLNet.Distillation.SlotNames:";

    /// <summary>The metadata entries for <paramref name="column"/>'s annotations.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Write(DataViewSchema.Column column)
    {
        var annotations = column.Annotations.Schema;
        if (annotations.GetColumnOrNull(DistillTransformer.OutputKindAnnotation) is { Type: TextDataViewType })
        {
            ReadOnlyMemory<char> kind = default;
            column.Annotations.GetValue(DistillTransformer.OutputKindAnnotation, ref kind);
            yield return new(KindPrefix + column.Name, kind.ToString());
        }
        if (column.Type is VectorDataViewType && annotations.GetColumnOrNull("SlotNames") is { Type: VectorDataViewType { ItemType: TextDataViewType } })
        {
            VBuffer<ReadOnlyMemory<char>> names = default;
            column.GetSlotNames(ref names);
            yield return new(SlotNamesPrefix + column.Name, JsonSerializer.Serialize(names.DenseValues().Select(n => n.ToString()).ToArray()));
        }
    }

    /// <summary>The annotations <paramref name="metadata"/> gives <paramref name="column"/>; checked, naming <paramref name="path"/>.</summary>
    public static DataViewSchema.Annotations Read(IReadOnlyDictionary<string, string> metadata, ParquetColumn column, string path)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        if (metadata.TryGetValue(KindPrefix + column.Name, out var kind))
        {
            if (kind is not ("Logits" or "Probabilities"))
                throw new InvalidDataException($"Parquet file '{path}' says column '{column.Name}' holds '{kind}' ({KindPrefix}{column.Name}); it must be 'Logits' or 'Probabilities'.");
            builder.Add(DistillTransformer.OutputKindAnnotation, TextDataViewType.Instance, (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = kind.AsMemory()));
        }
        if (metadata.TryGetValue(SlotNamesPrefix + column.Name, out var json))
        {
            string[]? names;
            try { names = JsonSerializer.Deserialize<string[]>(json); }
            catch (JsonException e) { throw new InvalidDataException($"Parquet file '{path}' has slot names for column '{column.Name}' that are not a JSON list of strings ({e.Message}).", e); }
            if (names is null || !column.IsVector || names.Length != column.VectorSize)
                throw new InvalidDataException($"Parquet file '{path}' has {names?.Length ?? 0} slot names for column '{column.Name}' ({column.Describe()}); a vector column needs one per value.");
            var memory = names.Select(n => n.AsMemory()).ToArray();
            builder.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, memory.Length),
                (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)((ref VBuffer<ReadOnlyMemory<char>> v) => v = new VBuffer<ReadOnlyMemory<char>>(memory.Length, memory)));
        }
        return builder.ToAnnotations();
    }
}
