using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MLNet.Distillation.Export;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Export;

/// <summary>An exported student takes any number of rows per call and declares its batch axis and opset as documented.</summary>
public class OnnxDynamicBatchTests
{
    private static (string Path, float[][] Rows) ExportWineStudent()
    {
        var ml = new MLContext(seed: 1);
        var model = WineLabelToKey(ml).Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
        {
            HiddenLayers = [8], Activation = StudentActivation.Gelu, Epochs = 2, Seed = 5,
        })).Fit(WineSplit(ml, "train"));
        var path = Path.Combine(TempDir(), "student.onnx");
        ((StudentTransformer)model.LastTransformer).ExportToOnnx(path);
        return (path, ml.Data.CreateEnumerable<WineRow>(Wine(ml), reuseRowObject: false).Select(r => r.Features).ToArray());
    }

    private static float[] Run(InferenceSession session, float[][] rows, string output)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(rows.SelectMany(r => r).ToArray(), [rows.Length, 13]);
        using var outputs = session.Run(new RunOptions(), [StudentOnnxExporter.InputName], [input], [output]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(178)]
    public void EveryBatchSizeGivesTheSameProbabilitiesAsOneRowAtATime(int batchSize)
    {
        var (path, rows) = ExportWineStudent();
        using var session = new InferenceSession(path);
        var batch = Run(session, rows.Take(batchSize).ToArray(), StudentOnnxExporter.ProbabilitiesOutput);
        Assert.Equal(batchSize * 3, batch.Length);
        for (int r = 0; r < batchSize; r++)
        {
            var single = Run(session, [rows[r]], StudentOnnxExporter.ProbabilitiesOutput);
            for (int k = 0; k < 3; k++) Assert.Equal(single[k], batch[3 * r + k], 6);
        }
    }

    [Fact]
    public void TheInputAndOutputsHaveASymbolicBatchAxis()
    {
        var (path, _) = ExportWineStudent();
        using var session = new InferenceSession(path);
        var input = session.InputMetadata[StudentOnnxExporter.InputName];
        Assert.Equal([-1, 13], input.Dimensions);
        Assert.Equal("batch", input.SymbolicDimensions[0]);
        Assert.Equal([-1, 3], session.OutputMetadata[StudentOnnxExporter.ProbabilitiesOutput].Dimensions);
        Assert.Equal([-1, 3], session.OutputMetadata[StudentOnnxExporter.LogitsOutput].Dimensions);
        Assert.Equal([-1], session.OutputMetadata[StudentOnnxExporter.PredictedClassOutput].Dimensions);
        Assert.Equal(typeof(long), session.OutputMetadata[StudentOnnxExporter.PredictedClassOutput].ElementType);
    }

    [Fact]
    public void TheModelDeclaresOpset13OrLater()
    {
        // ModelProto.opset_import (field 8) → OperatorSetIdProto.version (field 2); the exporter writes the default domain only.
        var (path, _) = ExportWineStudent();
        var bytes = File.ReadAllBytes(path);
        long? opset = null;
        int pos = 0;
        while (pos < bytes.Length)
        {
            ulong tag = Varint(bytes, ref pos);
            int field = (int)(tag >> 3), wire = (int)(tag & 7);
            if (wire == 0) { Varint(bytes, ref pos); continue; }
            Assert.Equal(2, wire);
            int length = (int)Varint(bytes, ref pos);
            if (field == 8)
            {
                int p = pos;
                while (p < pos + length)
                {
                    ulong t = Varint(bytes, ref p);
                    if ((t & 7) == 0) { ulong v = Varint(bytes, ref p); if (t >> 3 == 2) opset = (long)v; }
                    else { int skip = (int)Varint(bytes, ref p); p += skip; }
                }
            }
            pos += length;
        }
        Assert.True(opset >= 13, $"opset {opset}");
    }

    private static ulong Varint(byte[] b, ref int pos)
    {
        ulong result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte x = b[pos++];
            result |= (ulong)(x & 0x7F) << shift;
            if ((x & 0x80) == 0) return result;
        }
    }
}
