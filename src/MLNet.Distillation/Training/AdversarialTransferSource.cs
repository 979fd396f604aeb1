using System.Diagnostics;
using MLNet.Distillation.Students;
using MLNet.Distillation.Teachers;
using static TorchSharp.torch;

namespace MLNet.Distillation.Training;

/// <summary>
/// Adversarial transfer rows (<see cref="TransferAugmentation.Adversarial"/>): at every step, the first
/// round(<see cref="TransferSetOptions.RowsPerRealRow"/> × batch) real rows of the (shuffled) batch are attacked with the
/// student's own input gradient (<see cref="TransferSetOptions.Attack"/>; target class: the label, or the teacher column's
/// top class on unlabelled rows), and the adversarial rows are scored by the transfer-set teacher in one batched ONNX
/// Runtime call. With a robust transfer teacher and the clean teacher in the teacher column this is the data of
/// multi-teacher adversarial distillation (<see cref="Losses.RobustMultiTeacherLoss"/>). The rows depend on the current
/// weights, so they are made in step order on the training thread (<see cref="TransferSetOptions.Overlap"/> does not apply).
/// </summary>
internal sealed class AdversarialTransferSource : IDisposable
{
    private readonly TransferSetOptions _o;
    private readonly TrainingSet _train;
    private readonly AdversarialPerturber _perturber;
    private readonly OnlineTeacher _teacher;
    private long _teacherTicks;

    private AdversarialTransferSource(TransferSetOptions options, TrainingSet train, int seed)
    {
        _o = options;
        _train = train;
        var (std, min, max) = AdversarialPerturber.Statistics(train.Rows, train.FeatureCount, r => train.FeatureRow(r));
        _perturber = new AdversarialPerturber(options.Attack, std, min, max, unchecked(seed * 31 + 23));
        _teacher = new OnlineTeacher(options.TeacherModelPath, options.TeacherOutputName, train.FeatureCount, train.ClassCount, options.TeacherThreads);
    }

    /// <summary>The source for <paramref name="options"/>, or null when they do not ask for adversarial rows.</summary>
    public static AdversarialTransferSource? Create(TransferSetOptions? options, TrainingSet train, int seed)
        => options is { Augmentations: TransferAugmentation.Adversarial } ? new AdversarialTransferSource(options, train, seed) : null;

    /// <summary>Adversarial rows for this step's batch (raw features, labels −1 = none, teacher column in label order).</summary>
    public SyntheticBatch Next(MlpStudent model, Tensor features, Tensor labels, Tensor teacher)
    {
        int n = (int)features.shape[0];
        int rows = Math.Clamp((int)Math.Round(n * _o.RowsPerRealRow), 1, n);
        var targets = where(labels.ge(0), labels, teacher.argmax(1)).narrow(0, 0, rows);
        bool training = model.training;
        model.eval();
        Tensor adversarial;
        try { adversarial = _perturber.Perturb(model.forward, features.narrow(0, 0, rows), targets); }
        finally { model.train(training); }
        var values = adversarial.contiguous().data<float>().ToArray();

        var watch = Stopwatch.StartNew();
        int k = _train.ClassCount;
        var scores = _teacher.Score(values, rows, k);
        if (_train.TeacherOrder is { } order) ClassAligner.Permute(scores, order, k);
        _teacher.ConvertTo(scores, k, _train.TeacherKind);
        _teacherTicks += watch.Elapsed.Ticks;
        return new SyntheticBatch(values, scores, rows);
    }

    /// <summary>Time spent in the transfer teacher since the last call (the attack's passes count as student time).</summary>
    public TimeSpan TakeTeacherTime()
    {
        var t = TimeSpan.FromTicks(_teacherTicks);
        _teacherTicks = 0;
        return t;
    }

    public void Dispose() => _teacher.Dispose();
}
