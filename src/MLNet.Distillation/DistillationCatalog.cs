using Microsoft.ML;
using MLNet.Distillation.Teachers;

namespace MLNet.Distillation;

/// <summary>ML.NET catalog extensions of MLNet.Distillation: <c>mlContext.Transforms.Distill(...)</c> and <c>mlContext.MulticlassClassification.Trainers.Student(...)</c>.</summary>
public static partial class DistillationCatalog
{
    /// <summary>
    /// Runs an ONNX teacher over the data in batches with ONNX Runtime and adds its output (logits or probabilities) as a
    /// float vector column, for a student trainer downstream. The teacher runs only when its column is read.
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="outputColumnName">Column that receives the teacher's first output (e.g. "TeacherLogits").</param>
    /// <param name="inputColumnName">Column that feeds the teacher's single input; its item type and size must match the input (e.g. 784 floats for [N,1,28,28]).</param>
    /// <param name="teacherModelPath">Path of the teacher's .onnx file.</param>
    /// <param name="batchSize">Rows per ONNX Runtime call (default 256).</param>
    /// <param name="gpuDeviceId">CUDA device for the teacher, or null (default) for the CPU.</param>
    /// <param name="fallbackToCpu">When the GPU is not usable, run on the CPU with a warning in <c>MLContext.Log</c> (default true).</param>
    public static DistillEstimator Distill(this TransformsCatalog catalog, string outputColumnName, string inputColumnName, string teacherModelPath,
        int batchSize = 256, int? gpuDeviceId = null, bool fallbackToCpu = true)
        => catalog.Distill(new DistillOptions
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            TeacherModelPath = teacherModelPath,
            BatchSize = batchSize,
            GpuDeviceId = gpuDeviceId,
            FallbackToCpu = fallbackToCpu,
        });

    /// <summary>
    /// Runs an ONNX teacher with several inputs and/or outputs, GPU and threading settings, over the data in batches
    /// (see <see cref="DistillOptions"/>).
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="options">Teacher path, column mapping and runtime settings.</param>
    public static DistillEstimator Distill(this TransformsCatalog catalog, DistillOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new DistillEstimator(HostEnvironment.From(catalog), options);
    }
}
