using System.Diagnostics;
using Microsoft.ML;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Progress;
using MLNet.Distillation.Students;

namespace MLNet.Distillation.Training;

public sealed partial class StudentTrainer
{
    /// <summary>
    /// A fit with <see cref="StudentOptions.Streaming"/>: the training rows stream through a shuffle buffer
    /// (<see cref="StreamingBatches"/>, after a first pass for the statistics), the validation rows are read into memory.
    /// </summary>
    private StudentTransformer FitStreaming(IDataView trainData, IDataView? validationData, DistillationLoss loss, int seed, Stopwatch watch)
    {
        var o = _options;
        var aligner = new ClassAligner(o.ClassAlignment, m => _env.Info("Student", m), m => _env.Warn("Student", m));
        void Log(string message) => _env.Info("Student", message);
        var extraColumns = loss.TeacherColumns.ToArray();
        using var source = StreamingBatches.Open(trainData, o, Task, aligner, Log, loss.PredictsThroughSigmoid, extraColumns);
        var train = source.Set;
        CheckClassNames(o, trainData, train.ClassCount);
        var validation = validationData is null ? null
            : TrainingSet.Load(validationData, o, Task, train, aligner, LoadingStage.ValidationRows, Log, loss.PredictsThroughSigmoid, extraColumns);
        var (network, history) = Train(_env, o, loss, source, validation, seed);
        return Build(_env, o, ForTask(network, train, loss), trainData, train.ClassCount, history, loss.Name, watch.Elapsed);
    }
}
