// Parquet.Net 6.1.0 against ParquetSharp 25.0.1.2 on the same data: N rows of 784 random floats (a list<float> column)
// and an int label, in row groups of 10,000 rows, Snappy; each library writes a file, then each library reads both files
// three times into one float[784] per row (the work an ML.NET cursor does), timed. The numbers in docs/scale.md.
//   dotnet run -c Release --project tools/parquet_library_comparison -- 100000 /tmp/parquet-comparison
using System.Diagnostics;
using Parquet;
using Parquet.Schema;
using ParquetSharp;

int rows = int.Parse(args[0]), width = 784, group = 10_000;
var folder = args.Length > 1 ? args[1] : Directory.CreateTempSubdirectory("parquet-comparison-").FullName;
Directory.CreateDirectory(folder);
var rng = new Random(1);
var data = new float[(long)rows * width];
for (long i = 0; i < data.Length; i++) data[i] = rng.NextSingle();
var labels = new int[rows];
for (int i = 0; i < rows; i++) labels[i] = rng.Next(10);

string netFile = Path.Combine(folder, "net.parquet"), sharpFile = Path.Combine(folder, "sharp.parquet");
var w = Stopwatch.StartNew();
{
    var schema = new ParquetSchema(new DataField<int>("Label"), new ListField("Features", new DataField<float>("element")));
    using var fs = File.Create(netFile);
    await using var writer = await Parquet.ParquetWriter.CreateAsync(schema, fs, new ParquetOptions { CompressionMethod = CompressionMethod.Snappy });
    var rep = new int[group * width];
    for (int start = 0; start < rows; start += group)
    {
        int n = Math.Min(group, rows - start);
        using var rg = writer.CreateRowGroup();
        await rg.WriteAllPartsAsync<int>((DataField)schema[0], labels.AsMemory(start, n), null, null, default);
        for (int r = 0; r < n; r++) for (int k = 0; k < width; k++) rep[r * width + k] = k == 0 ? 0 : 1;
        var item = (DataField)((ListField)schema[1]).Item;
        var def = new int[n * width]; Array.Fill(def, item.MaxDefinitionLevel);
        await rg.WriteAllPartsAsync<float>(item, data.AsMemory(start * width, n * width), def, rep.AsMemory(0, n * width), default);
    }
}
Console.WriteLine($"write Parquet.Net {w.Elapsed.TotalSeconds:F2} s, {new FileInfo(netFile).Length >> 20} MiB");
w.Restart();
{
    var columns = new Column[] { new Column<int>("Label"), new Column<float[]>("Features") };
    using var file = new ParquetFileWriter(sharpFile, columns, Compression.Snappy);
    for (int start = 0; start < rows; start += group)
    {
        int n = Math.Min(group, rows - start);
        using var rg = file.AppendRowGroup();
        using (var c = rg.NextColumn().LogicalWriter<int>()) c.WriteBatch(labels, start, n);
        var arrays = new float[n][];
        for (int r = 0; r < n; r++) arrays[r] = data.AsSpan((start + r) * width, width).ToArray();
        using (var c = rg.NextColumn().LogicalWriter<float[]>()) c.WriteBatch(arrays);
    }
    file.Close();
}
Console.WriteLine($"write ParquetSharp {w.Elapsed.TotalSeconds:F2} s, {new FileInfo(sharpFile).Length >> 20} MiB");

double Check(float[] row) { double s = 0; foreach (var v in row) s += v; return s; }

async Task<double> ReadNet(string path)
{
    double sum = 0;
    var row = new float[width];
    await using var reader = await Parquet.ParquetReader.CreateAsync(path);
    var fields = reader.Schema.GetDataFields();
    var features = fields.First(f => f.Path.ToString().StartsWith("Features"));
    for (int g = 0; g < reader.RowGroupCount; g++)
    {
        using var rg = reader.OpenRowGroupReader(g);
        long values = rg.GetMetadata(features)!.MetaData!.NumValues;
        var buffer = new float[values];
        var def = new int[values];
        var rep = new int[values];
        await rg.ReadRawAsync<float>(features, buffer, def, rep);
        for (long r = 0; r < rg.RowCount; r++) { Array.Copy(buffer, r * width, row, 0, width); sum += Check(row); }
    }
    return sum;
}

double ReadSharp(string path)
{
    double sum = 0;
    using var file = new ParquetFileReader(path);
    int col = Enumerable.Range(0, file.FileMetaData.NumColumns).First(i => file.FileMetaData.Schema.Column(i).Path.ToDotString().StartsWith("Features"));
    var nullable = file.FileMetaData.Schema.Column(col).SchemaNode.Repetition == Repetition.Optional;
    for (int g = 0; g < file.FileMetaData.NumRowGroups; g++)
    {
        using var rg = file.RowGroup(g);
        long n = rg.MetaData.NumRows;
        if (nullable)
        {
            using var c = rg.Column(col).LogicalReader<float?[]>();
            foreach (var a in c.ReadAll((int)n)) { double s = 0; foreach (var v in a) s += v!.Value; sum += s; }
        }
        else
        {
            using var c = rg.Column(col).LogicalReader<float[]>();
            foreach (var a in c.ReadAll((int)n)) sum += Check(a);
        }
    }
    return sum;
}

foreach (var rep in new[] { 1, 2, 3 })
    foreach (var path in new[] { netFile, sharpFile })
    {
        w.Restart(); double a = await ReadNet(path); var tn = w.Elapsed.TotalSeconds;
        w.Restart(); double b = ReadSharp(path); var ts = w.Elapsed.TotalSeconds;
        Console.WriteLine($"rep {rep} file {Path.GetFileName(path)}: Parquet.Net {tn:F2} s ({rows / tn:N0} rows/s), ParquetSharp {ts:F2} s ({rows / ts:N0} rows/s); sums {a:F0} {b:F0}");
    }
File.Delete(netFile);
File.Delete(sharpFile);
