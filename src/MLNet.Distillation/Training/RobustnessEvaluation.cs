using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using MLNet.Distillation.Teachers;
using static TorchSharp.torch;

namespace MLNet.Distillation.Training;

/// <summary>A teacher's accuracy on the clean test rows and on the student's adversarial rows.</summary>
/// <param name="ModelPath">The teacher's ONNX file.</param>
/// <param name="CleanAccuracy">Accuracy on the clean test rows.</param>
/// <param name="TransferredAttackAccuracy">
/// Accuracy on the adversarial rows made against the <em>student</em> (a transfer, black-box attack on the teacher: ONNX
/// Runtime gives no input gradients, so the teacher is not attacked with its own). Higher than a white-box attack would give.
/// </param>
public sealed record TeacherRobustness(string ModelPath, double CleanAccuracy, double TransferredAttackAccuracy);

/// <summary>Clean and adversarial accuracy of a student (and, optionally, of teachers) under one attack.</summary>
/// <param name="Attack">The attack, in words (method, ε, steps, step size, space).</param>
/// <param name="Rows">Labelled test rows evaluated.</param>
/// <param name="CleanAccuracy">The student's accuracy on the clean rows.</param>
/// <param name="AdversarialAccuracy">The student's accuracy on its own adversarial rows (a white-box attack with its gradients).</param>
/// <param name="Teachers">The teachers asked for, in order.</param>
public sealed record RobustnessResult(string Attack, int Rows, double CleanAccuracy, double AdversarialAccuracy, IReadOnlyList<TeacherRobustness> Teachers);

/// <summary>
/// Measures robustness: attacks a trained multiclass student on labelled test rows with an <see cref="AdversarialAttack"/>
/// (white box: the student's own input gradient, target = the true label), the perturbation budget and the per-feature
/// clipping range taken from the training rows, and reports clean and adversarial accuracy. Teachers given as ONNX files are
/// scored on the clean rows and on the student's adversarial rows (a transferred attack; see <see cref="TeacherRobustness"/>).
/// </summary>
public static class RobustnessEvaluation
{
    /// <summary>Rows per attacked chunk.</summary>
    private const int Chunk = 512;

    /// <summary>Evaluates <paramref name="student"/> (and <paramref name="teacherModelPaths"/>) under <paramref name="attack"/>.</summary>
    /// <param name="student">A trained multiclass student.</param>
    /// <param name="trainData">The student's training rows (its feature column): they give the per-feature standard deviation (ε's unit in the standardised space) and the [min, max] every adversarial row is clipped to.</param>
    /// <param name="testData">Labelled test rows with the feature column and a key-typed label column (after the same upstream pipeline as the training rows); rows without a label are skipped.</param>
    /// <param name="attack">The attack (FGSM or PGD, ε, steps, space).</param>
    /// <param name="labelColumnName">The key-typed label column of <paramref name="testData"/> (default "Label").</param>
    /// <param name="teacherModelPaths">ONNX teachers to score too: one float input that takes the feature vector, first output one score per class in the label's key order.</param>
    /// <param name="seed">Seed of PGD's random start (default 0).</param>
    public static RobustnessResult Evaluate(StudentTransformer student, IDataView trainData, IDataView testData, AdversarialAttack attack,
        string labelColumnName = "Label", IEnumerable<string>? teacherModelPaths = null, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(student);
        ArgumentNullException.ThrowIfNull(trainData);
        ArgumentNullException.ThrowIfNull(testData);
        ArgumentNullException.ThrowIfNull(attack);
        attack.Validate("attack");
        if (student.Task != DistillationTask.MulticlassClassification)
            throw new ArgumentException($"RobustnessEvaluation measures classification accuracy; this student is a {student.Task} student.", nameof(student));
        string features = student.FeatureColumnName;
        var train = ReadFeatures(trainData, features, nameof(trainData));
        var test = ReadFeatures(testData, features, nameof(testData));
        if (train.Rows.Count == 0) throw new ArgumentException("trainData has no rows: the attack needs the training rows' per-feature spread and range.", nameof(trainData));
        if (train.Width != test.Width)
            throw new ArgumentException($"Feature column '{features}' has {train.Width} values per row in trainData but {test.Width} in testData.", nameof(testData));
        var labels = ReadLabels(testData, labelColumnName);
        var keep = Enumerable.Range(0, labels.Length).Where(i => labels[i] >= 0).ToArray();
        if (keep.Length == 0) throw new ArgumentException($"No test row has a label in column '{labelColumnName}'.", nameof(testData));
        int f = train.Width, k = student.ClassNames.Count;
        if (labels.Max() >= k)
            throw new ArgumentException($"Label column '{labelColumnName}' has key values up to {labels.Max() + 1}, but the student scores {k} classes. Map the labels with the key order the student was trained with.", nameof(testData));

        var (std, min, max) = AdversarialPerturber.Statistics(train.Rows.Count, f, r => train.Rows[r]);
        var perturber = new AdversarialPerturber(attack, std, min, max, seed);
        var clean = new float[keep.Length * f];
        for (int i = 0; i < keep.Length; i++) test.Rows[keep[i]].CopyTo(clean, i * f);
        var y = keep.Select(i => (long)labels[i]).ToArray();

        var adversarial = new float[clean.Length];
        long studentClean = 0, studentAdversarial = 0;
        using (var model = MlpStudent.FromNetwork(student.Network))
        {
            model.eval();
            for (int start = 0; start < keep.Length; start += Chunk)
            {
                using var scope = NewDisposeScope();
                int n = Math.Min(Chunk, keep.Length - start);
                var x = tensor(clean.AsSpan(start * f, n * f).ToArray(), [n, f]);
                var target = tensor(y.AsSpan(start, n).ToArray());
                var xAdv = perturber.Perturb(model.forward, x, target);
                using (no_grad())
                {
                    studentClean += model.forward(x).argmax(1).eq(target).sum().item<long>();
                    studentAdversarial += model.forward(xAdv).argmax(1).eq(target).sum().item<long>();
                }
                xAdv.contiguous().data<float>().CopyTo(adversarial, start * f);
            }
        }

        var teachers = new List<TeacherRobustness>();
        foreach (var path in teacherModelPaths ?? [])
        {
            using var teacher = new OnlineTeacher(path, null, f, k, null);
            teachers.Add(new TeacherRobustness(path, Accuracy(teacher.Score(clean, keep.Length, k), y, k), Accuracy(teacher.Score(adversarial, keep.Length, k), y, k)));
        }
        return new RobustnessResult(attack.ToString(), keep.Length, studentClean / (double)keep.Length, studentAdversarial / (double)keep.Length, teachers);
    }

    private static double Accuracy(float[] scores, long[] labels, int k)
    {
        int correct = 0;
        for (int r = 0; r < labels.Length; r++)
        {
            var row = scores.AsSpan(r * k, k);
            int best = 0;
            for (int c = 1; c < k; c++) if (row[c] > row[best]) best = c;
            if (best == labels[r]) correct++;
        }
        return correct / (double)labels.Length;
    }

    private static (List<float[]> Rows, int Width) ReadFeatures(IDataView data, string column, string what)
    {
        var col = data.Schema.GetColumnOrNull(column);
        if (col is not { Type: VectorDataViewType { ItemType: var item, Size: > 0 } v } || item != NumberDataViewType.Single)
            throw new ArgumentException($"{what} needs the student's feature column '{column}' as a fixed-size float vector; it has {(col is null ? "no such column" : col.Value.Type.ToString())}.", what);
        var rows = new List<float[]>();
        using var cursor = data.GetRowCursor([col.Value]);
        var getter = cursor.GetGetter<VBuffer<float>>(col.Value);
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            rows.Add(buffer.DenseValues().ToArray());
        }
        return (rows, v.Size);
    }

    /// <summary>Zero-based class indices of a key-typed label column; −1 where the key is missing.</summary>
    private static int[] ReadLabels(IDataView data, string column)
    {
        var col = data.Schema.GetColumnOrNull(column);
        if (col is not { Type: KeyDataViewType { RawType: var raw } } || raw != typeof(uint))
            throw new ArgumentException($"testData needs a key-typed label column '{column}' (add mlContext.Transforms.Conversion.MapValueToKey(\"{column}\") with the student's key order); it has {(col is null ? "no such column" : col.Value.Type.ToString())}.", nameof(data));
        var labels = new List<int>();
        using var cursor = data.GetRowCursor([col.Value]);
        var getter = cursor.GetGetter<uint>(col.Value);
        uint key = 0;
        while (cursor.MoveNext())
        {
            getter(ref key);
            labels.Add((int)key - 1);
        }
        return labels.ToArray();
    }
}
