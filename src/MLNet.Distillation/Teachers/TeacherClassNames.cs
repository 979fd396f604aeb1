using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// The teacher's class order: the names of its output slots, from <see cref="DistillOptions.ClassNames"/> or from the ONNX
/// model's metadata, carried on the teacher column as ML.NET's standard <c>SlotNames</c> annotation so that the student
/// can align its label keys with the teacher's outputs.
/// </summary>
internal static class TeacherClassNames
{
    /// <summary>Metadata keys read, in this order (case-insensitive): exporters and users write class lists under these names.</summary>
    public static readonly string[] MetadataKeys = ["class_names", "classes", "labels", "class_labels", "id2label"];

    /// <summary>The names for an output of <paramref name="size"/> slots, or null when neither the options nor the model give any.</summary>
    public static string[]? Resolve(DistillOptions options, TeacherModel model, int size)
    {
        if (options.ClassNames is { } given)
        {
            if (given.Length != size)
                throw new ArgumentException($"DistillOptions.ClassNames lists {given.Length} classes, but teacher model '{model.ModelPath}' output '{model.Outputs[0].Name}' has {size} values per row. List the teacher's classes in the order of its outputs, one name per output.");
            CheckDistinct(given, "DistillOptions.ClassNames");
            return given;
        }
        foreach (var key in MetadataKeys)
        {
            var entry = model.Metadata.FirstOrDefault(kv => string.Equals(kv.Key, key, StringComparison.OrdinalIgnoreCase));
            if (entry.Key is null) continue;
            var names = Parse(entry.Value);
            if (names is null || names.Length != size || names.Distinct().Count() != names.Length) continue;
            return names;
        }
        return null;
    }

    /// <summary>
    /// Parses a class list written as a JSON array (<c>["cat","dog"]</c>), a JSON object of index → name
    /// (<c>{"0":"cat","1":"dog"}</c>, Hugging Face's <c>id2label</c>) or comma-separated text.
    /// </summary>
    public static string[]? Parse(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0) return null;
        if (trimmed[0] is '[' or '{')
        {
            try
            {
                using var doc = JsonDocument.Parse(trimmed);
                if (doc.RootElement.ValueKind == JsonValueKind.Array)
                    return doc.RootElement.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText()).ToArray();
                var pairs = doc.RootElement.EnumerateObject()
                    .Select(p => (Ok: int.TryParse(p.Name, out int i), Index: i, Name: p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText()))
                    .ToArray();
                if (pairs.Any(p => !p.Ok) || !pairs.Select(p => p.Index).Order().SequenceEqual(Enumerable.Range(0, pairs.Length))) return null;
                return pairs.OrderBy(p => p.Index).Select(p => p.Name).ToArray();
            }
            catch (JsonException)
            {
                return null;
            }
        }
        return trimmed.Split(',').Select(s => s.Trim()).ToArray();
    }

    /// <summary>Adds <paramref name="names"/> as the <c>SlotNames</c> annotation.</summary>
    public static void Annotate(DataViewSchema.Annotations.Builder builder, string[] names)
    {
        var values = new VBuffer<ReadOnlyMemory<char>>(names.Length, names.Select(n => n.AsMemory()).ToArray());
        builder.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, names.Length),
            (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)((ref VBuffer<ReadOnlyMemory<char>> v) => values.CopyTo(ref v)));
    }

    /// <summary>The <c>SlotNames</c> of <paramref name="column"/>, or null when it has none of its size.</summary>
    public static string[]? Read(DataViewSchema.Column column)
    {
        if (column.Type is not VectorDataViewType { IsKnownSize: true } vt) return null;
        if (column.Annotations.Schema.GetColumnOrNull("SlotNames") is not { Type: VectorDataViewType { ItemType: TextDataViewType } st } || st.Size != vt.Size)
            return null;
        VBuffer<ReadOnlyMemory<char>> values = default;
        column.Annotations.GetValue("SlotNames", ref values);
        var names = values.DenseValues().Select(v => v.ToString()).ToArray();
        return names.All(n => n.Length == 0) ? null : names;
    }

    private static void CheckDistinct(string[] names, string what)
    {
        var duplicate = names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"{what} names class '{duplicate.Key}' {duplicate.Count()} times; each class must appear once.");
    }
}
