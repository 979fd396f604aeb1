using System.Runtime.InteropServices;
using MLNet.Distillation.Losses;
using static TorchSharp.torch;

namespace MLNet.Distillation.Training;

/// <summary>
/// The training accuracy of one step, counted in .NET from one copy of the logits and the labels: a handful of tensor
/// operations per step (mask, argmax, compare, sum and two reads) cost more than the counting itself on small students.
/// The predicted class is torch's <c>argmax</c> — the first largest logit, NaN counting as largest — or, for a binary
/// student, a logit above 0.
/// </summary>
internal static class TrainAccuracy
{
    /// <summary>Correct predictions and labelled rows (label ≥ 0) of a batch.</summary>
    public static (long Correct, long Labelled) Count(Tensor logits, Tensor labels, DistillationTask task)
    {
        using var values = logits.detach().contiguous();
        using var targets = labels.contiguous();
        ReadOnlySpan<float> scores = MemoryMarshal.Cast<byte, float>(values.bytes);
        ReadOnlySpan<long> y = MemoryMarshal.Cast<byte, long>(targets.bytes);
        int rows = y.Length, classes = task == DistillationTask.BinaryClassification ? 1 : (int)logits.shape[1];
        long correct = 0, labelled = 0;
        for (int r = 0; r < rows; r++)
        {
            long label = y[r];
            if (label < 0) continue;
            labelled++;
            int predicted;
            if (task == DistillationTask.BinaryClassification) predicted = scores[r] > 0 ? 1 : 0;
            else
            {
                predicted = 0;
                float best = scores[r * classes];
                for (int c = 1; c < classes; c++)
                {
                    float v = scores[r * classes + c];
                    if (!float.IsNaN(best) && (v > best || float.IsNaN(v)))
                    {
                        best = v;
                        predicted = c;
                    }
                }
            }
            if (predicted == label) correct++;
        }
        return (correct, labelled);
    }
}
