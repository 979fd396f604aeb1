using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;
using Parquet.Schema;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Parquet;

/// <summary>mlContext.Data.LoadFromParquet / SaveAsParquet: every column type, vectors as lists, annotations, errors that name the file and column.</summary>
public class ParquetTests
{
    public sealed class AllTypes
    {
        public float F { get; set; }
        public double D { get; set; }
        public int I { get; set; }
        public long L { get; set; }
        public bool B { get; set; }
        public string S { get; set; } = "";
        [VectorType(5)] public float[] V { get; set; } = [];
        [VectorType(3)] public double[] W { get; set; } = [];
    }

    private static AllTypes[] Rows(int n) => Enumerable.Range(0, n).Select(i => new AllTypes
    {
        F = i == 3 ? float.NaN : i * 0.5f, D = i * 1e-3, I = -i, L = (long)i << 40, B = i % 3 == 0, S = i == 4 ? "" : $"row {i} é",
        V = Enumerable.Range(0, 5).Select(k => i * 10f + k).ToArray(), W = [i, -i, i * 0.25],
    }).ToArray();

    private static List<AllTypes> Read(MLContext ml, IDataView data)
        => ml.Data.CreateEnumerable<AllTypes>(data, reuseRowObject: false).ToList();

    [Fact]
    public async Task EveryColumnTypeRoundTripsAcrossRowGroups()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var rows = Rows(20);
        var path = folder.File("all.parquet");
        Assert.Equal(20, ml.Data.SaveAsParquet(ml.Data.LoadFromEnumerable(rows), path, rowsPerGroup: 7));

        var loaded = ml.Data.LoadFromParquet(path);
        Assert.Equal(20, loaded.GetRowCount());
        Assert.Equal(NumberDataViewType.Single, loaded.Schema["F"].Type);
        Assert.Equal(NumberDataViewType.Int64, loaded.Schema["L"].Type);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 5), loaded.Schema["V"].Type);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Double, 3), loaded.Schema["W"].Type);
        var back = Read(ml, loaded);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(rows[i].F, back[i].F);
            Assert.Equal(rows[i].D, back[i].D);
            Assert.Equal(rows[i].I, back[i].I);
            Assert.Equal(rows[i].L, back[i].L);
            Assert.Equal(rows[i].B, back[i].B);
            Assert.Equal(rows[i].S, back[i].S);
            Assert.Equal(rows[i].V, back[i].V);
            Assert.Equal(rows[i].W, back[i].W);
        }
        await using var reader = await global::Parquet.ParquetReader.CreateAsync(path);
        Assert.Equal(3, reader.RowGroupCount);
        Assert.IsType<ListField>(reader.Schema.Fields.Single(f => f.Name == "V"));
    }

    [Fact]
    public void OnlyTheAskedColumnsAreReadAndFoldersReadTheirPartFilesInNameOrder()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var rows = Rows(9);
        var parts = Path.Combine(folder.Path, "parts");
        ml.Data.SaveAsParquet(ml.Data.LoadFromEnumerable(rows.Skip(5)), Path.Combine(parts, "part-00001.parquet"));
        ml.Data.SaveAsParquet(ml.Data.LoadFromEnumerable(rows.Take(5)), Path.Combine(parts, "part-00000.parquet"));

        var loaded = ml.Data.LoadFromParquet(parts, columns: ["I", "V"]);
        Assert.Equal(["I", "V"], loaded.Schema.Select(c => c.Name));
        Assert.Equal(9, loaded.GetRowCount());
        Assert.Equal(rows.Select(r => r.I), ml.Data.CreateEnumerable<IntRow>(loaded, false).Select(r => r.I));
        Assert.Equal(rows.Select(r => r.V), ReadVectors(loaded, "V"));
    }

    public sealed class IntRow
    {
        public int I { get; set; }
    }

    [Fact]
    public void SoftLabelsKeepTheirKindAndClassNamesAndTrainTheSameStudent()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var labelled = WineLabelToKey(ml).Append(ml.Transforms.Distill(new DistillOptions
        {
            TeacherModelPath = WineTeacherSoftmax, InputColumnName = "Features", OutputColumnName = "TeacherProbabilities", ClassNames = WineClasses,
        })).Fit(Wine(ml)).Transform(Wine(ml));
        var keyless = ml.Transforms.Conversion.MapKeyToValue("Label").Fit(labelled).Transform(labelled);
        var path = folder.File("soft-labels.parquet");
        ml.Data.SaveAsParquet(ml.Transforms.SelectColumns("Label", "Features", "TeacherProbabilities").Fit(keyless).Transform(keyless), path);

        var loaded = ml.Data.LoadFromParquet(path);
        var column = loaded.Schema["TeacherProbabilities"];
        Assert.Equal(TeacherOutputKind.Probabilities, TeacherKindAnnotation.Read(column));
        VBuffer<ReadOnlyMemory<char>> names = default;
        column.GetSlotNames(ref names);
        Assert.Equal(WineClasses, names.DenseValues().Select(n => n.ToString()));
        Assert.Equal(ReadVectors(labelled, "TeacherProbabilities"), ReadVectors(loaded, "TeacherProbabilities"));

        float[][] Scores(IDataView data)
        {
            var context = new MLContext(seed: 1);
            var model = WineLabelToKey(context).Append(context.MulticlassClassification.Trainers.Student(new StudentOptions
            {
                TeacherColumnName = "TeacherProbabilities", Loss = DistillationLoss.Hinton(2, 0.5), HiddenLayers = [8], Epochs = 20, BatchSize = 32, Seed = 3,
            })).Fit(data);
            return ReadVectors(model.Transform(data), "Score");
        }
        var fromMemory = Scores(ml.Transforms.SelectColumns("Label", "Features", "TeacherProbabilities").Fit(keyless).Transform(keyless));
        var fromParquet = Scores(loaded);
        Assert.Equal(fromMemory, fromParquet);
        var accuracy = fromParquet.Zip(ml.Data.CreateEnumerable<WineRow>(Wine(ml), false)).Count(p => WineClasses[ArgMax(p.First)] == p.Second.Label) / 178.0;
        Assert.True(accuracy > 0.9, $"accuracy {accuracy}");
    }

    [Fact]
    public void ColumnsSaveAsParquetCannotWriteAreRefusedByNameWithTheFix()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var keyed = WineLabelToKey(ml).Fit(Wine(ml)).Transform(Wine(ml));
        var path = folder.File("x.parquet");
        var e = Assert.Throws<NotSupportedException>(() => ml.Data.SaveAsParquet(keyed, path));
        Assert.Contains("Column 'Label'", e.Message);
        Assert.Contains("MapKeyToValue", e.Message);
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void MissingFilesFilesThatAreNotParquetAndUnknownColumnsAreNamed()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var missing = Assert.Throws<FileNotFoundException>(() => ml.Data.LoadFromParquet(folder.File("none.parquet")));
        Assert.Contains("none.parquet", missing.Message);
        var text = folder.File("text.parquet");
        File.WriteAllText(text, "Label,Features\n1,2\n");
        var notParquet = Assert.Throws<InvalidDataException>(() => ml.Data.LoadFromParquet(text));
        Assert.Contains("text.parquet", notParquet.Message);
        Assert.Contains("cannot be read as a Parquet file", notParquet.Message);

        var good = folder.File("good.parquet");
        ml.Data.SaveAsParquet(ml.Data.LoadFromEnumerable(Rows(3)), good);
        var unknown = Assert.Throws<ArgumentException>(() => ml.Data.LoadFromParquet(good, columns: ["Nope"]));
        Assert.Contains("no column 'Nope'", unknown.Message);
        Assert.Contains("good.parquet", unknown.Message);
        var other = folder.File("other.parquet");
        ml.Data.SaveAsParquet(ml.Data.LoadFromEnumerable(Rows(3).Select(r => new IntRow { I = r.I })), other);
        var mixed = Assert.Throws<InvalidDataException>(() => ml.Data.LoadFromParquet([good, other]));
        Assert.Contains("good.parquet", mixed.Message);
        Assert.Contains("other.parquet", mixed.Message);
    }

    private static async Task WriteRaw(string path, ParquetSchema schema, Func<global::Parquet.ParquetRowGroupWriter, Task> write)
    {
        await using var stream = File.Create(path);
        await using var writer = await global::Parquet.ParquetWriter.CreateAsync(schema, stream);
        using var group = writer.CreateRowGroup();
        await write(group);
    }

    [Fact]
    public async Task ListsOfDifferentLengthsNullsAndOtherTypesAreRefusedNamingFileColumnAndRow()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        // Rows of 2, 3 and 2 values: 7 values in 3 rows.
        var ragged = folder.File("ragged.parquet");
        var list = new ListField("V", new DataField<float>("element"));
        await WriteRaw(ragged, new ParquetSchema(list), async g => await g.WriteAllPartsAsync<float>((DataField)list.Item, new float[] { 1, 2, 3, 4, 5, 6, 7 },
            new[] { 2, 2, 2, 2, 2, 2, 2 }, new[] { 0, 1, 0, 1, 1, 0, 1 }, default));
        var e = Assert.Throws<InvalidDataException>(() => ml.Data.LoadFromParquet(ragged));
        Assert.Contains("ragged.parquet", e.Message);
        Assert.Contains("column 'V' holds lists of different lengths", e.Message);
        // Rows of 3 and 1 values: 4 values in 2 rows, divisible, so found when read.
        var uneven = folder.File("uneven.parquet");
        await WriteRaw(uneven, new ParquetSchema(list), async g => await g.WriteAllPartsAsync<float>((DataField)list.Item, new float[] { 1, 2, 3, 4 },
            new[] { 2, 2, 2, 2 }, new[] { 0, 1, 1, 0 }, default));
        var read = Assert.Throws<InvalidDataException>(() => ReadVectors(ml.Data.LoadFromParquet(uneven), "V"));
        Assert.Contains("uneven.parquet", read.Message);
        Assert.Contains("column 'V'", read.Message);
        Assert.Contains("row 0", read.Message);

        var nulls = folder.File("nulls.parquet");
        var count = new DataField<int?>("Count");
        await WriteRaw(nulls, new ParquetSchema(count), g => g.WriteAsync<int>(count, new int?[] { 1, null, 3 }.AsMemory(), null, null, default));
        var nullError = Assert.Throws<InvalidDataException>(() => ml.Data.CreateEnumerable<CountRow>(ml.Data.LoadFromParquet(nulls), false).ToList());
        Assert.Contains("column 'Count' is null at row 1", nullError.Message);

        var dates = folder.File("dates.parquet");
        var when = new DataField<DateTime>("When");
        var label = new DataField<int>("Label");
        await WriteRaw(dates, new ParquetSchema(when, label), async g =>
        {
            await g.WriteAsync<DateTime>(when, new[] { DateTime.UnixEpoch }.AsMemory(), null, null, default);
            await g.WriteAsync<int>(label, new[] { 1 }.AsMemory(), null, null, default);
        });
        var type = Assert.Throws<NotSupportedException>(() => ml.Data.LoadFromParquet(dates));
        Assert.Contains("column 'When'", type.Message);
        Assert.Contains("dates.parquet", type.Message);
        Assert.Equal(1, ml.Data.LoadFromParquet(dates, columns: ["Label"]).GetRowCount());
    }

    public sealed class CountRow
    {
        public int Count { get; set; }
    }

    [Fact]
    public async Task NullFloatsAndNullListElementsReadAsNaN()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var path = folder.File("nullable.parquet");
        var score = new DataField<float?>("Score");
        var list = new ListField("V", new DataField<float?>("element"));
        var item = (DataField)list.Item;
        await WriteRaw(path, new ParquetSchema(score, list), async g =>
        {
            await g.WriteAsync<float>(score, new float?[] { 1, null }.AsMemory(), null, null, default);
            // Row 0: [1, null]; row 1: [3, 4]. Definition levels: 3 = a value, 2 = a null element.
            await g.WriteAllPartsAsync<float>(item, new float[] { 1, 3, 4 }, new[] { item.MaxDefinitionLevel, item.MaxDefinitionLevel - 1, item.MaxDefinitionLevel, item.MaxDefinitionLevel },
                new[] { 0, 1, 0, 1 }, default);
        });
        var loaded = ml.Data.LoadFromParquet(path);
        Assert.Equal([[1f, float.NaN], [3f, 4f]], ReadVectors(loaded, "V"));
        using var cursor = loaded.GetRowCursor([loaded.Schema["Score"]]);
        var getter = cursor.GetGetter<float>(loaded.Schema["Score"]);
        var values = new List<float>();
        float v = 0;
        while (cursor.MoveNext()) { getter(ref v); values.Add(v); }
        Assert.Equal([1f, float.NaN], values);
    }

    /// <summary>tools/make_parquet_fixture.cjs: wine.csv written by arrow-rs (parquet-wasm), nullable columns, row groups of 64 rows.</summary>
    private static readonly string ArrowFixture = Fixture("parquet/wine_arrow_rs.parquet");

    [Fact]
    public async Task AFileWrittenByArrowRsReadsAsTheCsvDoesAndTrainsAStudent()
    {
        await using (var reader = await global::Parquet.ParquetReader.CreateAsync(ArrowFixture))
            Assert.Equal(3, reader.RowGroupCount);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromParquet(ArrowFixture);
        Assert.Equal(178, data.GetRowCount());
        Assert.Equal(TextDataViewType.Instance, data.Schema["Label"].Type);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 13), data.Schema["Features"].Type);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 13), data.Schema["FeaturesFixed"].Type);
        Assert.Equal(NumberDataViewType.Double, data.Schema["Alcohol"].Type);
        Assert.Equal(NumberDataViewType.Int64, data.Schema["Row"].Type);
        Assert.Equal(NumberDataViewType.Int32, data.Schema["Quality"].Type);
        Assert.Equal(BooleanDataViewType.Instance, data.Schema["Train"].Type);

        var csv = ml.Data.CreateEnumerable<WineRow>(Wine(ml), false).ToArray();
        var rows = ml.Data.CreateEnumerable<ArrowWineRow>(data, false).ToArray();
        Assert.Equal(csv.Select(r => r.Label), rows.Select(r => r.Label));
        Assert.Equal(csv.Select(r => r.Features), rows.Select(r => r.Features));
        Assert.Equal(csv.Select(r => r.Features), rows.Select(r => r.FeaturesFixed));
        Assert.Equal(csv.Select(r => (double)r.Features[0]), rows.Select(r => r.Alcohol));
        Assert.Equal(Enumerable.Range(0, 178).Select(i => (long)i), rows.Select(r => r.Row));
        Assert.Equal(Enumerable.Range(0, 178).Select(i => i % 5), rows.Select(r => r.Quality));
        Assert.Equal(csv.Select(r => r.Split == "train"), rows.Select(r => r.Train));

        var train = ml.Data.FilterByCustomPredicate<ArrowWineRow>(data, r => !r.Train);
        var test = ml.Data.FilterByCustomPredicate<ArrowWineRow>(data, r => r.Train);
        var model = WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
            {
                TeacherColumnName = "TeacherLogits", HiddenLayers = [16], Epochs = 30, BatchSize = 32, LearningRate = 0.01, Seed = 7,
            })).Fit(train);
        Assert.True(ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy > 0.85);
    }

    public sealed class ArrowWineRow
    {
        public string Label { get; set; } = "";
        [VectorType(13)] public float[] Features { get; set; } = [];
        [VectorType(13)] public float[] FeaturesFixed { get; set; } = [];
        public double Alcohol { get; set; }
        public long Row { get; set; }
        public int Quality { get; set; }
        public bool Train { get; set; }
    }
}
