using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Teachers;

/// <summary>Reads and writes the <see cref="DistillTransformer.OutputKindAnnotation"/> that tells logits from probabilities.</summary>
internal static class TeacherKindAnnotation
{
    /// <summary>Annotations carrying <paramref name="kind"/>, and the teacher's class order as <c>SlotNames</c> when known.</summary>
    public static DataViewSchema.Annotations Create(TeacherOutputKind kind, string[]? classNames = null)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        var text = kind.ToString();
        builder.Add(DistillTransformer.OutputKindAnnotation, TextDataViewType.Instance, (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = text.AsMemory()));
        if (classNames is not null) TeacherClassNames.Annotate(builder, classNames);
        return builder.ToAnnotations();
    }

    /// <summary>The kind a teacher column declares; logits when it carries no annotation.</summary>
    public static TeacherOutputKind Read(DataViewSchema.Column column)
    {
        if (column.Annotations.Schema.GetColumnOrNull(DistillTransformer.OutputKindAnnotation) is { } a)
        {
            ReadOnlyMemory<char> v = default;
            column.Annotations.GetValue(a.Name, ref v);
            if (Enum.TryParse<TeacherOutputKind>(v.ToString(), out var k)) return k;
        }
        return TeacherOutputKind.Logits;
    }
}
