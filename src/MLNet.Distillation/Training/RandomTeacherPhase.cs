using MLNet.Distillation.Students;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Training;

/// <summary>
/// The first phase of a random-teacher fit (<see cref="SelfDistillationMode.RandomTeacher"/>; Sarnthein et al. 2023,
/// "Random Teachers are Good Teachers"): without labels, the student's penultimate representation, through a DINO head
/// the phase owns, learns to match a fixed, randomly initialised teacher's penultimate representation through the
/// teacher's own (fixed, random) DINO head, with DINO's loss as in the paper's reference code:
/// <code>
/// L = − mean over rows of Σ_k softmax((g_T(f_T(x)) − c) / τ_t)_k · log softmax(g_S(f_S(x)) / τ_s)_k
/// </code>
/// with τ_t = 0.04, τ_s = 0.1 and c the teacher's centre (a moving average of its outputs, momentum 0.9). The teacher
/// has the student's depth, the student's widths or <see cref="SelfDistillationOptions.RandomTeacherWidth"/>, and the
/// student's input standardisation. The phase's head and optimiser are dropped when it ends; the fit then trains the
/// whole student on the labels for the rest of its steps.
/// </summary>
internal sealed class RandomTeacherPhase : IDisposable
{
    /// <summary>Teacher temperature τ_t (the reference code's default).</summary>
    public const double TeacherTemperature = 0.04;

    /// <summary>Student temperature τ_s (the reference code's default).</summary>
    public const double StudentTemperature = 0.1;

    /// <summary>Momentum of the teacher's centre (the reference code's default).</summary>
    public const double CenterMomentum = 0.9;

    /// <summary>Hidden width of the DINO heads (the reference code uses 2048 on images; tabular students are far smaller).</summary>
    public const int HeadHidden = 256;

    /// <summary>Bottleneck width of the DINO heads (as the reference code).</summary>
    public const int HeadBottleneck = 256;

    private readonly MlpStudent _teacher;
    private readonly DinoHead _teacherHead;
    private readonly DinoHead _studentHead;
    private readonly double _fraction;
    private Tensor _center;

    /// <summary>
    /// Creates the random teacher and both heads from the process-wide generator — call it under the fit's seed, after
    /// the student is made, so that the student starts as a scratch fit's does.
    /// </summary>
    /// <param name="student">The student (its penultimate width sizes the student's head).</param>
    /// <param name="network">The student's weights, for its input size, activation and standardisation.</param>
    /// <param name="teacherWidths">The random teacher's hidden widths.</param>
    /// <param name="outputs">K, the heads' output dimension.</param>
    /// <param name="fraction">Share of the fit's steps in this phase.</param>
    public RandomTeacherPhase(MlpStudent student, StudentNetwork network, int[] teacherWidths, int outputs, double fraction)
    {
        _fraction = fraction;
        _teacher = new MlpStudent(network.InputSize, teacherWidths, 1, network.Activation, 0, [], network.FeatureMean, network.FeatureScale);
        _teacherHead = new DinoHead(teacherWidths[^1], HeadHidden, HeadBottleneck, outputs);
        _studentHead = new DinoHead(student.PenultimateWidth, HeadHidden, HeadBottleneck, outputs);
        foreach (var p in _teacher.parameters().Concat(_teacherHead.parameters())) p.requires_grad = false;
        _teacher.eval();
        _teacherHead.eval();
        _center = zeros(1, outputs);
    }

    /// <summary>The phase of <paramref name="o"/>'s fit, or null when it does not self-distil from a random teacher.</summary>
    public static RandomTeacherPhase? For(StudentOptions o, MlpStudent student)
    {
        if (o.SelfDistillation is not { Mode: SelfDistillationMode.RandomTeacher } sd) return null;
        var widths = sd.RandomTeacherWidth is int w ? Enumerable.Repeat(w, student.LayerWidths.Count).ToArray() : student.LayerWidths.ToArray();
        return new RandomTeacherPhase(student, student.ToNetwork(), widths, sd.RandomTeacherOutputs, sd.RandomTeacherFraction);
    }

    /// <summary>The mean representation loss of each pass over the rows, in order.</summary>
    public List<double> PassLosses { get; } = new();

    /// <summary>The phase's loss on a batch (student's gradient attached); updates the teacher's centre when <paramref name="updateCenter"/>.</summary>
    public Tensor Loss(MlpStudent student, Tensor x, bool updateCenter)
    {
        Tensor target;
        using (no_grad())
        {
            var projections = _teacherHead.forward(_teacher.Features(x));
            target = nn.functional.softmax((projections - _center) / TeacherTemperature, 1);
            if (updateCenter)
            {
                var updated = (_center * CenterMomentum + projections.mean([0], keepdim: true) * (1 - CenterMomentum)).DetachFromDisposeScope();
                _center.Dispose();
                _center = updated;
            }
        }
        var logQ = nn.functional.log_softmax(_studentHead.forward(student.Features(x)) / StudentTemperature, 1);
        return -(target * logQ).sum(1).mean();
    }

    /// <summary>
    /// Runs the phase on the training rows for its share of the <paramref name="epochs"/> × steps-per-epoch budget and returns
    /// the epochs left for the label phase (at least one).
    /// </summary>
    public int Run(MlpStudent student, IBatchSource batches, Random rng, int epochs, StudentOptions o, Action<string> log)
    {
        long total = (long)epochs * batches.StepsPerEpoch;
        long steps = Math.Max(1, (long)Math.Round(_fraction * total));
        int remaining = (int)Math.Max(1, Math.Round((total - steps) / (double)batches.StepsPerEpoch));
        var parameters = student.parameters().Concat(_studentHead.parameters()).ToArray();
        using var optimizer = TrainingLoop.CreateOptimizer(o, parameters);
        log($"Random teacher: {steps} steps distilling a random {string.Join("-", _teacher.LayerWidths)} network's representation (no labels), then {remaining} epochs on the labels.");
        student.train();
        _studentHead.train();
        long step = 0;
        while (step < steps)
        {
            batches.StartEpoch(rng);
            double sum = 0;
            int count = 0;
            for (int i = 0; i < batches.StepsPerEpoch && step < steps; i++, step++)
            {
                o.CancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var rows = batches.Next(i);
                foreach (var g in optimizer.ParamGroups) g.LearningRate = LearningRates.At(o.Schedule, o.LearningRate, step, steps, 0);
                var loss = Loss(student, rows.Features, updateCenter: true);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                double value = loss.item<float>();
                if (!double.IsFinite(value))
                    throw new InvalidOperationException($"The random-teacher loss became {value} at step {step + 1}. Lower StudentOptions.LearningRate.");
                sum += value;
                count++;
            }
            PassLosses.Add(sum / count);
        }
        log($"Random teacher: representation loss {PassLosses[0]:F4} in the first pass, {PassLosses[^1]:F4} in the last.");
        return remaining;
    }

    public void Dispose()
    {
        _teacher.Dispose();
        _teacherHead.Dispose();
        _studentHead.Dispose();
        _center.Dispose();
    }
}
