using System.IO.Compression;
using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Distillation.Export;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Persistence;

/// <summary><c>mlContext.Model.LoadStudent</c>: a saved student is checked before ML.NET loads it.</summary>
public class DamagedModelTests
{
    private static (string Path, StudentTransformer Student) SaveWineStudent(MLContext ml, TempFolder folder)
    {
        var train = WineSplit(ml, "train");
        var model = WineLabelToKey(ml).Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions { HiddenLayers = [8], Epochs = 3, Seed = 1 })).Fit(train);
        var path = folder.File("student.zip");
        ml.Model.Save(model, train.Schema, path);
        return (path, model.LastTransformer);
    }

    /// <summary>Rewrites the student graph inside a saved zip (ML.NET stores it as a 32-bit length and the ONNX bytes).</summary>
    private static void RewriteStudentGraph(string zipPath, Func<byte[], byte[]> change)
    {
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Update);
        var entry = zip.Entries.Single(e => e.Name == "OnnxModel");
        byte[] onnx;
        using (var reader = new BinaryReader(entry.Open())) onnx = reader.ReadBytes(reader.ReadInt32());
        var changed = change(onnx);
        using var writer = new BinaryWriter(entry.Open());
        writer.BaseStream.SetLength(0);
        writer.Write(changed.Length);
        writer.Write(changed);
    }

    [Fact]
    public void AnIntactStudentLoadsAndScoresLikeTheTrainedOne()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var (path, student) = SaveWineStudent(ml, folder);
        using var loaded = (TransformerChain<ITransformer>)new MLContext().Model.LoadStudent(path, out var schema);
        Assert.NotNull(schema.GetColumnOrNull("Features"));
        var test = WineSplit(ml, "test");
        Assert.Equal(ReadVectors(student.Transform(WineLabelToKey(ml).Fit(test).Transform(test)), "Score"), ReadVectors(loaded.Transform(test), "Score"));
    }

    [Fact]
    public void AStudentWhoseWeightsChangedIsRefusedNamingTheFileThoughMLNetWouldLoadIt()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var (path, student) = SaveWineStudent(ml, folder);
        var weight = BitConverter.GetBytes(student.Network.Layers[^1].Weights[0]);
        RewriteStudentGraph(path, onnx =>
        {
            int at = onnx.AsSpan().IndexOf(weight);
            Assert.True(at > 0, "the last layer's first weight is in the graph");
            BitConverter.GetBytes(float.NaN).CopyTo(onnx, at);
            return onnx;
        });

        using (var stock = (TransformerChain<ITransformer>)new MLContext().Model.Load(path, out _))   // ML.NET alone cannot tell
            Assert.All(ReadVectors(stock.Transform(WineSplit(ml, "test")), "Score"), row => Assert.All(row, p => Assert.True(float.IsNaN(p))));
        var e = Assert.Throws<InvalidDataException>(() => new MLContext().Model.LoadStudent(path, out _));
        Assert.Contains($"Model file '{path}' is damaged", e.Message);
        Assert.Contains("weights changed", e.Message);
    }

    [Fact]
    public void ATruncatedZipIsRefusedNamingTheFile()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var (path, _) = SaveWineStudent(ml, folder);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<InvalidDataException>(() => new MLContext().Model.LoadStudent(path, out _));
        Assert.Contains($"Model file '{path}' cannot be read as a model zip", e.Message);
        Assert.Contains("truncated or damaged", e.Message);
    }

    [Fact]
    public void AStepThatMLNetCannotLoadIsRefusedNamingTheFileWithMLNetsReason()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var (path, _) = SaveWineStudent(ml, folder);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))   // the label step's header, not the student graph
        {
            var entry = zip.GetEntry("TransformerChain/Transform_000/Model.key")!;
            using var stream = entry.Open();
            stream.SetLength(0);
            stream.Write(new byte[64]);
        }

        var e = Assert.Throws<InvalidDataException>(() => new MLContext().Model.LoadStudent(path, out _));
        Assert.Contains($"Model file '{path}' could not be loaded by ML.NET (", e.Message);
        Assert.NotNull(e.InnerException);
    }

    [Fact]
    public void AModelWithoutAStudentIsRefusedWithTheStockLoadToUseInstead()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var train = WineSplit(ml, "train");
        var path = folder.File("labels-only.zip");
        ml.Model.Save(WineLabelToKey(ml).Fit(train), train.Schema, path);

        var e = Assert.Throws<InvalidDataException>(() => new MLContext().Model.LoadStudent(path, out _));
        Assert.Contains($"Model file '{path}' holds no MLNet.Distillation student", e.Message);
        Assert.Contains("mlContext.Model.Load", e.Message);
    }

    [Fact]
    public void AStudentSavedWithoutAChecksumLoadsWithAWarning()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var (path, _) = SaveWineStudent(ml, folder);
        RewriteStudentGraph(path, WithoutChecksum);

        var fresh = new MLContext();
        var warnings = new List<string>();
        fresh.Log += (_, e) => { if (e.Kind == ChannelMessageKind.Warning) lock (warnings) warnings.Add(e.RawMessage); };
        using var loaded = (TransformerChain<ITransformer>)fresh.Model.LoadStudent(path, out _);
        Assert.Contains(warnings, w => w.Contains(path) && w.Contains("without a checksum"));
    }

    /// <summary>The ONNX model without the metadata entry that holds the graph checksum (field 14 of onnx.proto's ModelProto).</summary>
    private static byte[] WithoutChecksum(byte[] onnx)
    {
        var input = new CodedInputStream(onnx);
        using var output = new MemoryStream();
        var writer = new CodedOutputStream(output);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited)
            {
                writer.WriteTag(tag);
                writer.WriteUInt64(input.ReadUInt64());
                continue;
            }
            var bytes = input.ReadBytes();
            if (WireFormat.GetTagFieldNumber(tag) == 14 && bytes.ToStringUtf8().Contains(OnnxGraphBuilder.GraphHashKey)) continue;
            writer.WriteTag(tag);
            writer.WriteBytes(bytes);
        }
        writer.Flush();
        return output.ToArray();
    }
}
