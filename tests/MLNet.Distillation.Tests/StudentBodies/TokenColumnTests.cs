using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.StudentBodies;

/// <summary>
/// How a text student reads its token-id column: keys or integers of any width, variable-length or fixed, all to the same
/// student; unseen ids as padding; and bad columns refused by name.
/// </summary>
public class TokenColumnTests
{
    private sealed class IdRow
    {
        /// <summary>The class, 0-based: LoadFromEnumerable stores a key member's value + 1 as the raw key.</summary>
        public uint Label { get; set; }
        public int[] Ints { get; set; } = [];
        public long[] Longs { get; set; } = [];
        public float[] Floats { get; set; } = [];
    }

    private const int FixedLength = 40;

    /// <summary>The fortunes' train and test rows as plain id columns: Ints variable-length, Longs and Floats fixed at 40 (padded with 0).</summary>
    private static (IDataView Train, IDataView Test, SchemaDefinition Schema) IdColumns(MLContext ml, int extraPadding = 0)
    {
        var tokenise = FortunesData.Tokenise(ml).Fit(FortunesData.Split(ml, "train"));
        var schema = SchemaDefinition.Create(typeof(IdRow));
        schema[nameof(IdRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), 3);
        schema[nameof(IdRow.Ints)].ColumnType = new VectorDataViewType(NumberDataViewType.Int32);
        schema[nameof(IdRow.Longs)].ColumnType = new VectorDataViewType(NumberDataViewType.Int64, FixedLength);
        schema[nameof(IdRow.Floats)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FixedLength);
        IDataView Rows(string split)
        {
            var scored = tokenise.Transform(FortunesData.Split(ml, split));
            var keys = FortunesData.ReadKeyVectors(scored, "Features");
            var labels = ReadKeys(scored, "Label");
            var rows = keys.Select((k, r) =>
            {
                var fixedIds = new long[FixedLength];
                for (int t = 0; t < Math.Min(FixedLength, k.Length); t++) fixedIds[t] = k[t];
                return new IdRow
                {
                    Label = labels[r] - 1, Ints = k.Select(v => (int)v).Concat(new int[extraPadding]).ToArray(),
                    Longs = fixedIds, Floats = fixedIds.Select(v => (float)v).ToArray(),
                };
            }).ToArray();
            return ml.Data.LoadFromEnumerable(rows, schema);
        }
        return (Rows("train"), Rows("test"), schema);
    }

    private static StudentOptions Options(string column) => new()
    {
        FeatureColumnName = column, Architecture = TextStudentTests.Architecture("bag-bigrams"), HiddenLayers = [], Epochs = 3, MinimumSteps = 0,
        BatchSize = 32, LearningRate = 0.01, Seed = 4,
    };

    [Fact]
    public void KeyIntLongAndFloatColumnsTrainTheSameStudentAndScoreThroughTheChain()
    {
        var ml = new MLContext(seed: 1);
        var (train, test, _) = IdColumns(ml);
        var fromKeys = ml.MulticlassClassification.Trainers.Student(Options("Features"))
            .Fit(FortunesData.Tokenise(ml).Fit(FortunesData.Split(ml, "train")).Transform(FortunesData.Split(ml, "train")));
        var reference = (EmbeddingBagBody)fromKeys.Network.Body!;
        float[][]? firstScores = null;
        foreach (var column in new[] { "Ints", "Longs", "Floats" })
        {
            using var student = ml.MulticlassClassification.Trainers.Student(Options(column)).Fit(train);
            var body = (EmbeddingBagBody)student.Network.Body!;
            Assert.Equal(reference.VocabularySize, body.VocabularySize);
            Assert.Equal(reference.Embeddings, body.Embeddings);
            var scores = ReadVectors(student.Transform(test), "Score");
            if (firstScores is null) firstScores = scores;
            else Assert.Equal(firstScores, scores);
        }
    }

    [Fact]
    public void TrailingPaddingInAVariableLengthColumnChangesNoScore()
    {
        var ml = new MLContext(seed: 1);
        var (train, test, _) = IdColumns(ml);
        var (_, padded, _) = IdColumns(ml, extraPadding: 50);
        using var student = ml.MulticlassClassification.Trainers.Student(Options("Ints")).Fit(train);
        var before = ReadVectors(student.Transform(test), "Score");
        var after = ReadVectors(student.Transform(padded), "Score");
        for (int r = 0; r < before.Length; r++)
            for (int j = 0; j < before[r].Length; j++)
                Assert.True(Math.Abs(before[r][j] - after[r][j]) <= 1e-6, $"row {r}, class {j}: {before[r][j]} vs {after[r][j]}");
    }

    private sealed class BadRow
    {
        public uint Label { get; set; }
        public int[] Ids { get; set; } = [];
        public float[] FloatIds { get; set; } = [];
        public string[] Words { get; set; } = [];
        public uint Single { get; set; }
    }

    private static IDataView Bad(MLContext ml, int id, float floatId)
    {
        var schema = SchemaDefinition.Create(typeof(BadRow));
        schema[nameof(BadRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), 2);
        schema[nameof(BadRow.Single)].ColumnType = new KeyDataViewType(typeof(uint), 10);
        schema[nameof(BadRow.Ids)].ColumnType = new VectorDataViewType(NumberDataViewType.Int32);
        schema[nameof(BadRow.FloatIds)].ColumnType = new VectorDataViewType(NumberDataViewType.Single);
        schema[nameof(BadRow.Words)].ColumnType = new VectorDataViewType(TextDataViewType.Instance);
        return ml.Data.LoadFromEnumerable(new[]
        {
            new BadRow { Label = 1, Ids = [1, 2], FloatIds = [1, 2], Words = ["a"], Single = 1 },
            new BadRow { Label = 2, Ids = [3, id], FloatIds = [3, floatId], Words = ["b"], Single = 2 },
        }, schema);
    }

    [Theory]
    [InlineData("Words", "vector of String")]
    [InlineData("Single", "vector of token ids")]
    [InlineData("Missing", "was not found")]
    public void AColumnThatHoldsNoTokenIdsIsRefusedByName(string column, string expected)
    {
        var ml = new MLContext(seed: 1);
        var error = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(Options(column)).Fit(Bad(ml, 4, 4)));
        Assert.Contains($"'{column}'", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("Ids", -3, 4f, "holds -3 at slot 1")]
    [InlineData("FloatIds", 4, 2.5f, "holds 2.5 at slot 1")]
    [InlineData("FloatIds", 4, 20_000_000f, "below 16,777,216")]
    public void AnIdThatIsNoTokenIsRefusedWithItsRowAndValue(string column, int id, float floatId, string expected)
    {
        var ml = new MLContext(seed: 1);
        var error = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(Options(column)).Fit(Bad(ml, id, floatId)));
        Assert.Contains($"Row 1 of student feature column '{column}'", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void AKeyVocabularyTooLargeForFloatsIsRefused()
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Tokens", new VectorDataViewType(new KeyDataViewType(typeof(uint), 1 << 24)));
        var error = Assert.Throws<ArgumentException>(() => TokenIdReader.Create(builder.ToSchema()["Tokens"], 16, null));
        Assert.Contains("'Tokens'", error.Message);
        Assert.Contains("16,777,216", error.Message);
        Assert.Contains("maximumNumberOfKeys", error.Message);
    }

    [Fact]
    public void TransferSetsAndMeanTeacherNoiseAreRefusedForTokenIds()
    {
        var ml = new MLContext(seed: 1);
        var transfer = Options("Ids");
        transfer.TransferSet = new TransferSetOptions { TeacherModelPath = WineTeacher };
        Assert.Contains("token ids", Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(transfer)).Message);
        var noisy = Options("Ids");
        noisy.SelfDistillation = new SelfDistillationOptions { InputNoise = 0.1 };
        Assert.Contains("InputNoise", Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Student(noisy)).Message);
    }
}
