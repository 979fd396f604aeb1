using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Tokenizers;
using MLNet.Distillation.Teachers;

namespace MLNet.Distillation.Tests.Teachers;

/// <summary>
/// The text teacher's tokenization in the pipeline (<c>Transforms.Text.TokenizeForTeacher</c> over
/// <c>Microsoft.ML.Tokenizers</c>' BertTokenizer) against the ids and logits PyTorch wrote with the teacher
/// (tools/make_text_teacher.py → samples/Text/Data/text_reference.json).
/// </summary>
public class TokenizeForTeacherTests
{
    private static string TextData(string name) => Path.Combine(AppContext.BaseDirectory, "TextData", name);

    private static JsonElement Reference => JsonDocument.Parse(File.ReadAllText(TextData("text_reference.json"))).RootElement;

    private static int MaxLength => Reference.GetProperty("max_length").GetInt32();

    /// <summary>The teacher's tokenizer: BertTokenizer over its vocab.txt (lower case, accents stripped, CJK split, WordPiece);
    /// "[MASK]" in a text is plain text as in the Python tokenizer.</summary>
    private static BertTokenizer Tokenizer() => BertTokenizer.Create(TextData("vocab.txt"), new BertOptions
    {
        LowerCaseBeforeTokenization = true,
        RemoveNonSpacingMarks = true,
        IndividuallyTokenizeCjk = true,
        SplitOnSpecialTokens = false,
    });

    public sealed class TextRow
    {
        public string Text { get; set; } = "";
    }

    public sealed class LabelledRow
    {
        [LoadColumn(0)] public string Label { get; set; } = "";
        [LoadColumn(1)] public string Text { get; set; } = "";
    }

    private static IDataView Texts(MLContext ml, IEnumerable<string> texts) => ml.Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t }).ToArray());

    private static IDataView Subset(MLContext ml, string file)
        => ml.Data.LoadFromTextFile<LabelledRow>(TextData(file), separatorChar: '\t', hasHeader: true, allowQuoting: false);

    private static long[][] ReadLongs(IDataView data, string column)
    {
        var result = new List<long[]>();
        using var cursor = data.GetRowCursor([data.Schema[column]]);
        var getter = cursor.GetGetter<VBuffer<long>>(data.Schema[column]);
        VBuffer<long> v = default;
        while (cursor.MoveNext())
        {
            getter(ref v);
            result.Add(v.DenseValues().ToArray());
        }
        return result.ToArray();
    }

    [Fact]
    public void IdsAndMasksEqualThePythonTokenizersOnTheGoldenSentences()
    {
        var ml = new MLContext(seed: 1);
        var golden = Reference.GetProperty("golden").EnumerateArray().ToArray();
        Assert.True(golden.Length >= 8);
        var data = ml.Transforms.Text.TokenizeForTeacher(Tokenizer(), "Text", MaxLength)
            .Fit(Texts(ml, golden.Select(g => g.GetProperty("text").GetString()!))).Transform(Texts(ml, golden.Select(g => g.GetProperty("text").GetString()!)));
        var ids = ReadLongs(data, "input_ids");
        var masks = ReadLongs(data, "attention_mask");
        for (int i = 0; i < golden.Length; i++)
        {
            Assert.Equal(golden[i].GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt64()), ids[i]);
            Assert.Equal(golden[i].GetProperty("attention_mask").EnumerateArray().Select(e => e.GetInt64()), masks[i]);
        }
        // The set reaches truncation to L, an empty text and characters outside the vocabulary ([UNK] = 1).
        Assert.Contains(ids, row => row.Count(id => id != 0) == MaxLength);
        Assert.Contains(ids, row => row.Count(id => id != 0) == 2);
        Assert.Contains(ids, row => row.Skip(1).TakeWhile(id => id != 3).Any(id => id == 1));
    }

    [Fact]
    public void IdsOfEveryCommittedRowHashToWhatPythonWrote()
    {
        var ml = new MLContext(seed: 1);
        var estimator = ml.Transforms.Text.TokenizeForTeacher(Tokenizer(), "Text", MaxLength);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        int rows = 0;
        foreach (var file in new[] { "fortunes-train.tsv", "fortunes-test.tsv" })
        {
            var source = Subset(ml, file);
            foreach (var row in ReadLongs(estimator.Fit(source).Transform(source), "input_ids"))
            {
                foreach (var id in row) sha.AppendData(BitConverter.GetBytes(id));
                rows++;
            }
        }
        Assert.Equal(780, rows);
        Assert.Equal(Reference.GetProperty("subset_ids_sha256").GetString(), Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant());
    }

    [Fact]
    public void DistillOverTheTokenizedColumnsReproducesThePyTorchLogits()
    {
        var ml = new MLContext(seed: 1);
        var expected = Reference.GetProperty("first_test_logits").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        var source = ml.Data.TakeRows(Subset(ml, "fortunes-test.tsv"), expected.Length);
        var pipeline = ml.Transforms.Text.TokenizeForTeacher(Tokenizer(), "Text", MaxLength)
            .Append(ml.Transforms.Distill(new DistillOptions
            {
                TeacherModelPath = TextData("teacher.onnx"),
                InputColumns = { ["input_ids"] = "input_ids", ["attention_mask"] = "attention_mask" },
                OutputColumnName = "TeacherLogits",
                BatchSize = 3,
            }));
        var logits = TestData.ReadVectors(pipeline.Fit(source).Transform(source), "TeacherLogits");
        Assert.Equal(expected.Length, logits.Length);
        for (int i = 0; i < expected.Length; i++)
            for (int k = 0; k < expected[i].Length; k++)
                Assert.Equal(expected[i][k], logits[i][k], 1e-4);
    }

    [Fact]
    public void PredictionEngineGivesEachRowItsOwnIds()
    {
        var ml = new MLContext(seed: 1);
        var golden = Reference.GetProperty("golden").EnumerateArray().Take(3).ToArray();
        var transformer = ml.Transforms.Text.TokenizeForTeacher(Tokenizer(), "Text", MaxLength).Fit(Texts(ml, ["x"]));
        var engine = ml.Model.CreatePredictionEngine<TextRow, IdsRow>(transformer);
        foreach (var g in golden.Concat(golden.Reverse()))
            Assert.Equal(g.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt64()), engine.Predict(new TextRow { Text = g.GetProperty("text").GetString()! }).input_ids);
    }

    public sealed class IdsRow
    {
#pragma warning disable IDE1006, CA1707 // the column names of a BERT-style teacher
        public long[] input_ids { get; set; } = [];
        public long[] attention_mask { get; set; } = [];
#pragma warning restore IDE1006, CA1707
    }

    [Fact]
    public void OptionsSetTheSpecialTokensPaddingAndTokenTypes()
    {
        var ml = new MLContext(seed: 1);
        var tokenizer = Tokenizer();
        var data = Texts(ml, ["computers"]);
        var plain = ReadLongs(ml.Transforms.Text.TokenizeForTeacher(tokenizer, "Text", 8).Fit(data).Transform(data), "input_ids")[0];
        var pieces = tokenizer.EncodeToIds("computers", addSpecialTokens: false);
        Assert.Equal(new long[] { tokenizer.ClassificationTokenId }.Concat(pieces.Select(p => (long)p)).Append(tokenizer.SeparatorTokenId), plain.Take(pieces.Count + 2));
        var custom = ml.Transforms.Text.TokenizeForTeacher(new TeacherTokenizationOptions
        {
            Tokenizer = tokenizer, InputColumnName = "Text", MaxLength = 8, StartTokenIds = [], EndTokenIds = [7, 9], PaddingTokenId = -1,
            InputIdsColumnName = "Ids", AttentionMaskColumnName = "Mask", TokenTypeIdsColumnName = "Types",
        }).Fit(data).Transform(data);
        var ids = ReadLongs(custom, "Ids")[0];
        Assert.Equal(pieces.Select(p => (long)p).Concat([7L, 9L]).Concat(Enumerable.Repeat(-1L, 8 - pieces.Count - 2)), ids);
        Assert.Equal(Enumerable.Repeat(1L, pieces.Count + 2).Concat(Enumerable.Repeat(0L, 8 - pieces.Count - 2)), ReadLongs(custom, "Mask")[0]);
        Assert.Equal(new long[8], ReadLongs(custom, "Types")[0]);
    }

    [Fact]
    public void SavedAsAnIdentityStep()
    {
        var ml = new MLContext(seed: 1);
        var data = Texts(ml, ["computers"]);
        var transformer = ml.Transforms.Text.TokenizeForTeacher(Tokenizer(), "Text", 16).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(transformer, data.Schema, stream);
        stream.Position = 0;
        var loaded = ml.Model.Load(stream, out _);
        Assert.Null(loaded.GetOutputSchema(data.Schema).GetColumnOrNull("input_ids"));
        Assert.NotNull(transformer.GetOutputSchema(data.Schema).GetColumnOrNull("input_ids"));
    }

    [Fact]
    public void BadSetupIsRefusedByName()
    {
        var ml = new MLContext(seed: 1);
        var data = Texts(ml, ["computers"]);
        var missing = Assert.Throws<ArgumentException>(() => ml.Transforms.Text.TokenizeForTeacher(Tokenizer(), "Body", 16).Fit(data));
        Assert.Contains("'Body'", missing.Message);
        Assert.Contains("Text", missing.Message);
        var words = ml.Transforms.Text.TokenizeIntoWords("Words", "Text").Fit(data).Transform(data);
        var notText = Assert.Throws<ArgumentException>(() => ml.Transforms.Text.TokenizeForTeacher(Tokenizer(), "Words", 16).Fit(words));
        Assert.Contains("'Words'", notText.Message);
        var shortLength = Assert.Throws<ArgumentException>(() => ml.Transforms.Text.TokenizeForTeacher(Tokenizer(), "Text", 2));
        Assert.Contains("MaxLength is 2", shortLength.Message);
        var noTokenizer = Assert.Throws<ArgumentException>(() => ml.Transforms.Text.TokenizeForTeacher(new TeacherTokenizationOptions { InputColumnName = "Text" }));
        Assert.Contains("Tokenizer is null", noTokenizer.Message);
        var twice = Assert.Throws<ArgumentException>(() => ml.Transforms.Text.TokenizeForTeacher(Tokenizer(), "Text", 16, "ids", "ids"));
        Assert.Contains("same column twice", twice.Message);
    }
}
