using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Samples.Tasks;

/// <summary>A named distillation loss of the evidence, with the teacher columns it reads (null: the main teacher).</summary>
sealed record NamedLoss(string Name, Func<DistillationLoss> Make, string[]? TeacherColumns = null);

/// <summary>
/// What the evidence runner needs of a task kind; each implementation's <c>Example</c> is the readable walk-through of
/// its trainer (load, distil, train, evaluate, save/load, export).
/// </summary>
interface ITaskSample
{
    /// <summary>Command name: binary, regression, multi-output or ranking.</summary>
    string Kind { get; }
    /// <summary>The committed fixture folder the quick run uses.</summary>
    string FixtureTask { get; }
    /// <summary>The suite-data/tasks folders of the evidence.</summary>
    IReadOnlyList<string> SuiteTasks { get; }
    /// <summary>The evidence's metric, as ML.NET's evaluator names it.</summary>
    string MetricName { get; }
    /// <summary>Whether a larger metric is better.</summary>
    bool HigherIsBetter { get; }
    /// <summary>The named losses compared with scratch and the default distillation.</summary>
    IReadOnlyList<NamedLoss> Losses { get; }

    /// <summary>The task's CSV layout as a TextLoader.</summary>
    TextLoader Loader(MLContext ml, TaskFolder task);
    /// <summary>Transforms.Distill for each teacher: column "Teacher" (the main teacher) and, for two teachers, "Tolerant".</summary>
    IEstimator<ITransformer> Distill(MLContext ml, TaskFolder task);
    /// <summary>The task's student trainer.</summary>
    IEstimator<ITransformer> Trainer(MLContext ml, StudentOptions options);
    /// <summary>The metric of a scored test set, from ML.NET's stock evaluator.</summary>
    double Metric(MLContext ml, IDataView scored);
    /// <summary>The same metric for the main teacher, from the test set with the teacher columns.</summary>
    double TeacherMetric(MLContext ml, TaskFolder task, IDataView testWithTeachers);
    /// <summary>The quick walk-through on a task folder (the fixture by default); writes the model files to <paramref name="outputDir"/>.</summary>
    void Example(TaskFolder task, string outputDir);
}
