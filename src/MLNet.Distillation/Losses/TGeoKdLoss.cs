using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// TGeo-KD (Hu, Wu, Li, Ma, Chen, Yan, Wang and Liu 2024, "Less or More From Teacher: Exploiting Trilateral Geometry for
/// Knowledge Distillation", ICLR): Hinton KD whose hard/soft balance is a learned, per-sample fusion ratio α_i.
/// <code>
/// L_i = α_i·T²·KL(p_t,i^T ‖ q_s,i^T) + (1 − α_i)·CE(s_i, y_i)
/// α_i = σ(MLP([q−p, p−g, q−g, p−p̄_y, q−p̄_y]))
/// </code>
/// where q and p are the student's and teacher's predictions, g the one-hot ground truth (the intra-sample trilateral
/// geometry S, T, G) and p̄_y the teacher's mean prediction over the training rows of class y (the inter-sample relation
/// that counters outliers). Terms: <c>kd</c> and <c>ce</c>, normalised by the batch size so that their sum is the batch
/// mean of L_i.
/// </summary>
/// <remarks>
/// <para>The fusion network is owned by the loss and is <b>not</b> trained by the student's optimiser
/// (<see cref="DistillationLoss.Parameters"/> is empty): α is a constant for the student's gradient, and the network learns
/// on held-out rows (<see cref="NeedsHeldOutData"/>). As in the paper's bilevel optimisation, each
/// <see cref="LearnFromHeldOut"/> call takes a virtual SGD step of size η on the training loss of the most recent training
/// batch and asks how well the stepped student then fits the held-out labels; the network moves (with its own Adam) to the
/// fusion ratios that make that step generalise. A loss cannot see the student's parameters, so the virtual step is taken
/// on the student's linear main head (weights recovered from <see cref="LossContext.MainHead"/>) with the penultimate
/// activations held fixed — a last-layer version of the paper's full-network step. The trainer must therefore fill
/// <see cref="LossContext.Penultimate"/> and <see cref="LossContext.MainHead"/> for training and held-out batches; without
/// a cached training batch (no penultimate seen yet) the held-out batch is split in halves for the two levels.</para>
/// <para>Missing labels: a row without a label has no CE term and keeps the full KD term (α = 1, as in Hinton KD); its
/// geometry uses the teacher's top-1 class as g. The class means accumulate over all training rows seen (each row counted
/// under its label, or its teacher's top-1 class when unlabelled). Probability teachers work (predictions are read through
/// <see cref="LossContext.TeacherProbabilities"/>). Defaults: T = 4, a 64-unit hidden layer, Adam with learning rate 1e-3,
/// virtual step η = 0.1.</para>
/// </remarks>
public sealed class TGeoKdLoss : DistillationLoss
{
    private Linear? _hidden, _output;
    private optim.Optimizer? _optimizer;
    private Tensor? _classSums, _classCounts;
    private Tensor? _cachePenultimate, _cacheTeacher, _cacheLabels;
    private TeacherOutputKind _cacheKind;
    private Device? _device;

    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">KD temperature T &gt; 0 (default 4).</param>
    /// <param name="hiddenSize">Hidden units of the fusion network (default 64).</param>
    /// <param name="learningRate">Adam learning rate of the fusion network (default 1e-3).</param>
    /// <param name="virtualStep">Step size η of the virtual SGD step on the main head in the bilevel update (default 0.1).</param>
    public TGeoKdLoss(double temperature = 4.0, int hiddenSize = 64, double learningRate = 1e-3, double virtualStep = 0.1)
    {
        Temperature = Check.Temperature(temperature, nameof(temperature));
        if (hiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, "The fusion network needs at least one hidden unit (default 64).");
        HiddenSize = hiddenSize;
        LearningRate = Check.Positive(learningRate, nameof(learningRate), "The fusion network's learning rate");
        VirtualStep = Check.Positive(virtualStep, nameof(virtualStep), "The virtual step size η");
    }

    /// <summary>KD temperature T.</summary>
    public double Temperature { get; }

    /// <summary>Hidden units of the fusion network.</summary>
    public int HiddenSize { get; }

    /// <summary>Adam learning rate of the fusion network.</summary>
    public double LearningRate { get; }

    /// <summary>Virtual step size η.</summary>
    public double VirtualStep { get; }

    /// <summary>Mean fusion ratio α of the last training batch (NaN before the first), for progress logs.</summary>
    public double LastMeanFusionRatio { get; private set; } = double.NaN;

    /// <summary>Outer (held-out) loss of the last <see cref="LearnFromHeldOut"/> step (NaN before the first).</summary>
    public double LastHeldOutLoss { get; private set; } = double.NaN;

    /// <inheritdoc />
    public override string Name => $"tgeo-kd(T={Temperature:G3})";

    /// <inheritdoc />
    public override bool NeedsHeldOutData => true;

    /// <summary>
    /// The fusion network's parameters in order: hidden weight [H, 5K], hidden bias [H], output weight [1, H], output bias
    /// [1]; empty until the first batch fixes K. Trained by the loss itself, never by the student's optimiser.
    /// </summary>
    public IReadOnlyList<Parameter> FusionParameters()
        => _hidden is null || _output is null ? [] : [_hidden.weight!, _hidden.bias!, _output.weight!, _output.bias!];

    /// <inheritdoc />
    public override void To(Device device)
    {
        _device = device;
        if (_hidden is null || _output is null) return;
        _hidden.to(device);
        _output.to(device);
        _optimizer?.Dispose();
        _optimizer = optim.Adam(FusionParameters(), LearningRate);
        _classSums = MoveLongLived(_classSums, device);
        _classCounts = MoveLongLived(_classCounts, device);
        _cachePenultimate = MoveLongLived(_cachePenultimate, device);
        _cacheTeacher = MoveLongLived(_cacheTeacher, device);
        _cacheLabels = MoveLongLived(_cacheLabels, device);
    }

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        RequireTeacherShape(context);
        RequireClasses(context, 2);
        var s = context.StudentLogits;
        EnsureNetwork(context.NumClasses, s.dtype, s.device);
        var target = context.TargetsOrTeacherArgmax();
        var teacherProbs = context.TeacherProbabilities(1.0).detach();
        if (context.Training)
        {
            AccumulateClassMeans(teacherProbs, target);
            CacheTrainingBatch(context);
        }

        Tensor alpha;
        using (no_grad())
            alpha = FusionRatio(Features(s.detach(), teacherProbs, target, ClassMeansFor(target, teacherProbs))).detach();
        LastMeanFusionRatio = ToDouble(alpha.mean());
        return FusedTerms(s, context.TeacherLogProbabilities(Temperature), context.LabelMask, context.Labels, alpha);
    }

    /// <summary>
    /// One bilevel step of the fusion network on a batch of held-out rows (see the class remarks). Gradient is enabled
    /// inside, whatever the caller's mode; the student's own parameters are not touched.
    /// </summary>
    public override void LearnFromHeldOut(LossContext context)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var outer = MetaObjective(context);
        if (outer is null) return;
        _optimizer!.zero_grad();
        outer.backward();
        _optimizer.step();
        LastHeldOutLoss = ToDouble(outer);
    }

    /// <summary>The outer objective of the bilevel step, differentiable with respect to the fusion network; null when the batch cannot be used.</summary>
    internal Tensor? MetaObjective(LossContext heldOut)
    {
        var hVal = heldOut.Penultimate ?? throw MissingHead("Penultimate");
        var head = heldOut.MainHead ?? throw MissingHead("MainHead");
        if (hVal.ndim != 2 || hVal.shape[0] != heldOut.StudentLogits.shape[0])
            throw new ArgumentException($"TGeo-KD: LossContext.Penultimate must be [B, H] with B = {heldOut.StudentLogits.shape[0]} rows, got [{string.Join(", ", hVal.shape)}].", nameof(heldOut));
        long k = heldOut.NumClasses;
        var dtype = heldOut.StudentLogits.dtype;
        EnsureNetwork(k, dtype, heldOut.StudentLogits.device);

        var (weightT, bias) = ProbeLinearHead(head, hVal, heldOut.StudentLogits);

        Tensor hIn, tIn, yIn, hOut, yOut;
        TeacherOutputKind kindIn;
        if (_cachePenultimate is not null && _cacheTeacher is not null && _cacheLabels is not null && _cachePenultimate.shape[1] == hVal.shape[1])
        {
            (hIn, tIn, yIn, kindIn) = (_cachePenultimate, _cacheTeacher, _cacheLabels, _cacheKind);
            (hOut, yOut) = (hVal, heldOut.Labels);
        }
        else
        {
            long n = hVal.shape[0];
            if (n < 2) return null;
            long half = n / 2;
            var teacher = heldOut.RequireTeacher();
            (hIn, tIn, yIn, kindIn) = (hVal.narrow(0, 0, half), teacher.narrow(0, 0, half), heldOut.Labels.narrow(0, 0, half), heldOut.TeacherKind);
            (hOut, yOut) = (hVal.narrow(0, half, n - half), heldOut.Labels.narrow(0, half, n - half));
        }
        var outMask = yOut.ge(0);
        if (outMask.sum().item<long>() == 0) return null;

        // Inner level: the training loss of the inner batch as a function of the head (W, b) and of the fusion network.
        var zIn = hIn.matmul(weightT) + bias;
        var teacherIn = LossContext.LogSoftmaxOf(tIn, kindIn, 1.0).exp();
        var targetIn = where(yIn.ge(0), yIn, tIn.argmax(1));
        var alpha = FusionRatio(Features(zIn.detach(), teacherIn, targetIn, ClassMeansFor(targetIn, teacherIn)));
        var inner = FusedTerms(zIn, LossContext.LogSoftmaxOf(tIn, kindIn, Temperature), yIn.ge(0), yIn, alpha).Total;
        var grads = autograd.grad([inner], [weightT, bias], retain_graph: true, create_graph: true);

        // Outer level: held-out cross-entropy after the virtual step.
        var zOut = hOut.matmul(weightT - grads[0] * VirtualStep) + (bias - grads[1] * VirtualStep);
        var ce = nn.functional.cross_entropy(zOut, yOut.clamp_min(0), reduction: nn.Reduction.None);
        return MaskedMean(ce, outMask);
    }

    /// <summary>Creates the fusion network, its optimiser and the class-mean state the first time K is known.</summary>
    internal void EnsureNetwork(long numClasses, ScalarType dtype, Device device)
    {
        if (_hidden is not null)
        {
            if (_hidden.weight!.shape[1] != 5 * numClasses)
                throw new ArgumentException($"TGeo-KD's fusion network was built for {_hidden.weight.shape[1] / 5} classes, but this batch has {numClasses}.");
            return;
        }
        var dev = _device ?? device;
        _hidden = nn.Linear(5 * numClasses, HiddenSize, hasBias: true, device: dev, dtype: dtype);
        _output = nn.Linear(HiddenSize, 1, hasBias: true, device: dev, dtype: dtype);
        _optimizer = optim.Adam(FusionParameters(), LearningRate);
        _classSums = zeros(numClasses, numClasses, dtype: dtype, device: dev).DetachFromDisposeScope();
        _classCounts = zeros(numClasses, dtype: dtype, device: dev).DetachFromDisposeScope();
    }

    private Tensor FusionRatio(Tensor features)
        => nn.functional.sigmoid(_output!.forward(nn.functional.relu(_hidden!.forward(features)))).squeeze(1);

    private static Tensor Features(Tensor studentLogits, Tensor teacherProbs, Tensor target, Tensor classMeans)
    {
        var q = nn.functional.softmax(studentLogits, 1);
        var g = nn.functional.one_hot(target, q.shape[1]).to_type(q.dtype);
        return cat([q - teacherProbs, teacherProbs - g, q - g, teacherProbs - classMeans, q - classMeans], 1);
    }

    private LossTerms FusedTerms(Tensor studentLogits, Tensor teacherLogProbsAtT, Tensor labelMask, Tensor labels, Tensor alpha)
    {
        double t = Temperature;
        var kl = KlPerRow(teacherLogProbsAtT, nn.functional.log_softmax(studentLogits / t, 1)) * (t * t);
        var lab = labelMask.to_type(kl.dtype);
        var ce = nn.functional.cross_entropy(studentLogits, labels.clamp_min(0), reduction: nn.Reduction.None);
        long b = studentLogits.shape[0];
        return new LossTerms()
            .Add("kd", (kl * (lab * alpha + (1 - lab))).sum() / b)
            .Add("ce", (ce * lab * (1 - alpha)).sum() / b);
    }

    private void AccumulateClassMeans(Tensor teacherProbs, Tensor target)
    {
        using var _ = no_grad();
        _classSums!.index_add_(0, target, teacherProbs, 1);
        _classCounts!.index_add_(0, target, ones(target.shape[0], dtype: _classCounts.dtype, device: _classCounts.device), 1);
    }

    private Tensor ClassMeansFor(Tensor target, Tensor teacherProbs)
    {
        var counts = _classCounts!.index_select(0, target).unsqueeze(1);
        var means = _classSums!.index_select(0, target) / counts.clamp_min(1.0);
        return where(counts.gt(0), means, teacherProbs);
    }

    private void CacheTrainingBatch(LossContext context)
    {
        if (context.Penultimate is null) return;
        _cachePenultimate?.Dispose();
        _cacheTeacher?.Dispose();
        _cacheLabels?.Dispose();
        _cachePenultimate = context.Penultimate.detach().clone().DetachFromDisposeScope();
        _cacheTeacher = context.RequireTeacher().detach().clone().DetachFromDisposeScope();
        _cacheLabels = context.Labels.detach().clone().DetachFromDisposeScope();
        _cacheKind = context.TeacherKind;
    }

    /// <summary>Recovers W (as [H, K]) and b of a linear head by evaluating it at 0 and at the unit vectors, and checks linearity on the batch.</summary>
    private static (Tensor WeightT, Tensor Bias) ProbeLinearHead(Func<Tensor, Tensor> head, Tensor penultimate, Tensor logits)
    {
        using var _ = no_grad();
        long h = penultimate.shape[1];
        var bias = head(zeros(1, h, dtype: penultimate.dtype, device: penultimate.device)).squeeze(0).detach();
        var weightT = (head(eye(h, dtype: penultimate.dtype, device: penultimate.device)) - bias).detach();
        var reproduced = penultimate.matmul(weightT) + bias;
        var actual = head(penultimate);
        double error = ToDouble((reproduced - actual).abs().max());
        double scale = 1.0 + ToDouble(actual.abs().max());
        if (!(error <= 1e-3 * scale))
            throw new InvalidOperationException(
                "TGeo-KD's held-out step takes a virtual step on the student's main head and needs that head to be linear " +
                $"(LossContext.MainHead(h) = h·W + b); the given head differs from its linear reconstruction by {error:G3}.");
        if (logits.shape[1] != weightT.shape[1])
            throw new ArgumentException($"TGeo-KD: LossContext.MainHead returns {weightT.shape[1]} outputs but the student logits have {logits.shape[1]} classes.");
        return (weightT.requires_grad_(true), bias.requires_grad_(true));
    }

    private static Exception MissingHead(string member) => new InvalidOperationException(
        $"TGeo-KD learns its fusion network from held-out rows through a virtual step on the student's main head, so " +
        $"LossContext.{member} must be set for held-out batches (the Student trainer fills Penultimate and MainHead).");

    private static double ToDouble(Tensor scalar)
    {
        using var d = scalar.detach().to_type(ScalarType.Float64);
        return d.item<double>();
    }

    private static Tensor? MoveLongLived(Tensor? tensor, Device device)
    {
        if (tensor is null) return null;
        var moved = tensor.to(device).DetachFromDisposeScope();
        if (!ReferenceEquals(moved, tensor)) tensor.Dispose();
        return moved;
    }

    internal override string? CheckpointRefusal =>
        $"Loss '{Name}' (DistillationLoss.TGeoKd) trains its own fusion network with its own optimiser and keeps held-out caches between epochs, which checkpoints do not save. " +
        "Train it without StudentOptions.Checkpoint, or checkpoint a fit with another loss.";

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        _optimizer?.Dispose();
        _hidden?.Dispose();
        _output?.Dispose();
        foreach (var t in new[] { _classSums, _classCounts, _cachePenultimate, _cacheTeacher, _cacheLabels }) t?.Dispose();
        _optimizer = null; _hidden = null; _output = null;
        _classSums = _classCounts = _cachePenultimate = _cacheTeacher = _cacheLabels = null;
    }
}
