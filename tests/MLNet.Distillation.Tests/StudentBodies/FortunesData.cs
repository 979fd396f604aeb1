using Microsoft.ML;
using Microsoft.ML.Data;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.StudentBodies;

/// <summary>
/// Fixtures/text/fortunes.tsv (tools/make_text_fixture.py): 390 short Debian fortunes of three categories (computers,
/// food, love), a stratified train/test split (294/96 rows) and a naive-Bayes teacher's log-posteriors (test accuracy 76 %).
/// </summary>
public static class FortunesData
{
    public static readonly string[] Classes = ["computers", "food", "love"];

    public sealed class Row
    {
        [LoadColumn(0)] public string Label { get; set; } = "";
        [LoadColumn(1)] public string Split { get; set; } = "";
        [LoadColumn(2)] public string Text { get; set; } = "";
        [LoadColumn(3, 5), VectorType(3)] public float[] Teacher { get; set; } = [];
    }

    public static IDataView Load(MLContext ml) => ml.Data.LoadFromTextFile<Row>(Fixture("text/fortunes.tsv"), separatorChar: '\t', hasHeader: true);

    public static IDataView Split(MLContext ml, string split) => ml.Data.FilterByCustomPredicate<Row>(Load(ml), r => r.Split != split);

    /// <summary>
    /// Label → key (in <see cref="Classes"/> order, the teacher's), then the text lower-cased without punctuation, split
    /// into words (Tokens) and mapped to keys (Features: a variable-length key vector, 0 for words the fit never saw).
    /// </summary>
    public static IEstimator<ITransformer> Tokenise(MLContext ml)
        => ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(Classes.Select(c => new ClassName { Value = c })))
            .Append(ml.Transforms.Text.NormalizeText("Normalized", "Text", keepPunctuations: false, keepNumbers: true))
            .Append(ml.Transforms.Text.TokenizeIntoWords("Tokens", "Normalized"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Features", "Tokens"));

    public sealed class ClassName
    {
        public string Value { get; set; } = "";
    }

    /// <summary>The raw key values (1-based; 0 = missing) of a key vector column, one array per row.</summary>
    public static uint[][] ReadKeyVectors(IDataView data, string column)
    {
        var result = new List<uint[]>();
        using var cursor = data.GetRowCursor([data.Schema[column]]);
        var getter = cursor.GetGetter<VBuffer<uint>>(data.Schema[column]);
        VBuffer<uint> v = default;
        while (cursor.MoveNext()) { getter(ref v); result.Add(v.DenseValues().ToArray()); }
        return result.ToArray();
    }

    /// <summary>Accuracy of a multiclass prediction (PredictedLabel) against Label.</summary>
    public static double Accuracy(IDataView scored)
    {
        var predicted = ReadKeys(scored, "PredictedLabel");
        var label = ReadKeys(scored, "Label");
        return predicted.Zip(label).Count(p => p.First == p.Second) / (double)label.Length;
    }
}
