using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Samples;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.StudentBodies;

/// <summary>Fashion-MNIST rows from the bundled Quickstart subset and a small CNN student trained on them, for the CNN tests.</summary>
internal static class CnnTestData
{
    /// <summary>The first <paramref name="count"/> rows of the bundled 3,000-row test subset (pixels x/255).</summary>
    public static List<FashionRow> Rows(int count) => FashionMnist.Load(Path.GetDirectoryName(FashionTeacher)!, "t10k").Take(count).ToList();

    /// <summary>Maps the class names to keys in the teacher's order.</summary>
    public static IEstimator<ITransformer> LabelToKey(MLContext ml)
        => ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(FashionMnist.ClassNames.Select(c => new ClassName { Value = c })));

    /// <summary>A two-block CNN over the 28×28 images with the given batch normalisation and output.</summary>
    public static CnnOptions Options(bool batchNorm = true, CnnOutput output = CnnOutput.Flatten) => new()
    {
        Channels = 1, Height = 28, Width = 28, Blocks = [new ConvBlock(4), new ConvBlock(6, KernelSize: 5, Padding: 1, Pool: 3)],
        BatchNorm = batchNorm, Output = output,
    };

    /// <summary>Trains a CNN student on <paramref name="data"/> (a few epochs: enough to move every weight and batch-norm statistic).</summary>
    public static TransformerChain<StudentTransformer> Train(MLContext ml, IDataView data, CnnOptions options, TransferSetOptions? transfer = null, string? teacherColumn = null)
    {
        var student = ml.MulticlassClassification.Trainers.Student(new StudentOptions
        {
            Architecture = StudentArchitecture.Cnn(options), HiddenLayers = [12], Epochs = 2, BatchSize = 64, Seed = 3,
            TransferSet = transfer, TeacherColumnName = teacherColumn,
        });
        return teacherColumn is null
            ? LabelToKey(ml).Append(student).Fit(data)
            : LabelToKey(ml).Append(ml.Transforms.Distill(teacherColumn, "Features", FashionTeacher)).Append(student).Fit(data);
    }
}
