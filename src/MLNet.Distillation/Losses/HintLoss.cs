using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// Hint (feature) distillation: a student layer, projected to the width of a teacher embedding column, is pulled towards
/// that embedding. The projection (<see cref="HintProjection"/>) is created in <see cref="Bind"/> under the fit's seed,
/// optimised with the student, owned and disposed by this loss, and never part of the exported student.
/// </summary>
/// <remarks>
/// <para>With p_i the projected student layer and t_i the teacher embedding of row i (every row, labelled or not, except
/// for ND):</para>
/// <list type="bullet">
/// <item><see cref="HintDistance.Mse"/> (FitNets, Romero et al. 2015): term <c>hint-mse</c> = mean over rows and
/// dimensions of (p − t)².</item>
/// <item><see cref="HintDistance.Cosine"/>: term <c>hint-cos</c> = mean_i (1 − cos(p_i, t_i)).</item>
/// <item><see cref="HintDistance.Nd"/> ("Improving Knowledge Distillation via Regularizing Feature Norm and Direction",
/// Wang et al. 2023, arXiv 2305.17007): term <c>hint-nd</c> = mean over labelled rows of
/// 1 − p_i·ê_{y_i} / max(‖p_i‖, ‖t_i‖), ê_c the unit vector of the mean teacher embedding of class c. The paper takes the
/// class means over the whole training set before training; a loss here sees the data only batch by batch, so it keeps
/// running sums over the labelled training rows it has seen (every epoch adds each row once, so after the first epoch
/// they are exactly the training set's class means) and uses the means including the current batch. Evaluation batches
/// (<see cref="LossContext.Training"/> false) do not change them, and rows of a class not yet seen are skipped.</item>
/// <item><see cref="HintDistance.MiAlpha"/> (Distiller, He et al. 2021, arXiv 2109.11105): term <c>hint-mi</c> = −I_α,
/// the interpolated bound of Poole et al. 2019 ("On Variational Bounds of Mutual Information"), with critic scores
/// f[i, j] = p_j·t_i, a learned log-baseline a(t) = w·t + b (a linear layer on the teacher embedding, zero at the start,
/// owned by this loss), and the InfoNCE leave-one-out baseline m[i, j] = log mean_{k≠j} exp f[i, k] mixed as
/// log(α·e^m + (1 − α)·e^a): I_α = 1 + mean_{i≠j}(f[i, i] − b[i, j]) − mean_{i≠j} exp(f[i, j] − b[i, i]). α = 1 is the
/// InfoNCE end, α = 0 the TUBA/NWJ end. Batches of one row give zero.</item>
/// </list>
/// <para>The term is multiplied by <see cref="Weight"/>.</para>
/// </remarks>
public sealed class HintLoss : DistillationLoss
{
    private RepresentationProjection? _projection;
    private Linear? _baseline;
    private Tensor? _classSums, _classCounts;
    private Device? _device;

    /// <summary>Creates the loss; see <see cref="DistillationLoss.Hint"/>.</summary>
    /// <param name="teacherColumn">The teacher embedding column (an output of <c>Transforms.Distill</c>).</param>
    /// <param name="studentLayer">Student hidden layer: 0…n−1 from the first, −1 (default) the last.</param>
    /// <param name="distance">How to compare (default MSE).</param>
    /// <param name="projection">The projection from the student layer to the teacher's width (default linear).</param>
    /// <param name="weight">Weight of the term (default 1).</param>
    /// <param name="alpha">MI-α only: weight α ∈ [0, 1] of the InfoNCE baseline (default 0.5).</param>
    public HintLoss(string teacherColumn, int studentLayer = -1, HintDistance distance = HintDistance.Mse,
        HintProjection projection = HintProjection.Linear, double weight = 1.0, double alpha = 0.5)
    {
        if (string.IsNullOrWhiteSpace(teacherColumn))
            throw new ArgumentException("Name the teacher embedding column the hint reads (e.g. \"TeacherEmbedding\", written by Transforms.Distill's OutputColumns).", nameof(teacherColumn));
        if (!Enum.IsDefined(distance))
            throw new ArgumentOutOfRangeException(nameof(distance), distance, "The hint distance must be HintDistance.Mse, Cosine, Nd or MiAlpha.");
        if (!Enum.IsDefined(projection))
            throw new ArgumentOutOfRangeException(nameof(projection), projection, "The hint projection must be HintProjection.None, Linear or Mlp.");
        TeacherColumn = teacherColumn;
        StudentLayerIndex = studentLayer;
        Distance = distance;
        Projection = projection;
        Weight = Check.NonNegative(weight, nameof(weight), "The hint weight");
        Alpha = Check.UnitInterval(alpha, nameof(alpha), "MI-α's α (the weight of the InfoNCE baseline)");
    }

    /// <summary>The teacher embedding column.</summary>
    public string TeacherColumn { get; }

    /// <summary>The student layer index as given (−1 = last hidden layer).</summary>
    public int StudentLayerIndex { get; }

    /// <summary>The distance.</summary>
    public HintDistance Distance { get; }

    /// <summary>The projection kind.</summary>
    public HintProjection Projection { get; }

    /// <summary>Weight of the term.</summary>
    public double Weight { get; }

    /// <summary>MI-α's α (unused by the other distances).</summary>
    public double Alpha { get; }

    /// <inheritdoc />
    public override string Name => $"hint-{TermSuffix}({TeacherColumn}, layer {StudentLayerIndex}{(Distance == HintDistance.MiAlpha ? $", α={Alpha:G3}" : "")})";

    private string TermSuffix => Distance switch
    {
        HintDistance.Mse => "mse",
        HintDistance.Cosine => "cos",
        HintDistance.Nd => "nd",
        _ => "mi",
    };

    /// <inheritdoc />
    public override IReadOnlyCollection<DistillationTask> Tasks => Distance == HintDistance.Nd
        ? [DistillationTask.MulticlassClassification, DistillationTask.BinaryClassification, DistillationTask.Embedding]
        : AllTasks;

    /// <inheritdoc />
    public override IEnumerable<string> TeacherColumns => [TeacherColumn];

    /// <inheritdoc />
    public override void Bind(LossBinding binding)
    {
        int layer = binding.ResolveLayer(StudentLayerIndex, Name);
        int inWidth = binding.StudentLayerWidths[layer], outWidth = binding.TeacherWidth(TeacherColumn);
        var created = RepresentationProjection.Create(Projection, inWidth, outWidth, $"{Name} (student layer {StudentLayerIndex} → teacher column '{TeacherColumn}')");
        ReleaseState();
        _projection = created;
        if (Distance == HintDistance.MiAlpha)
        {
            _baseline = nn.Linear(outWidth, 1, hasBias: true);
            using (no_grad()) { _baseline.weight!.zero_(); _baseline.bias!.zero_(); }
        }
        if (_device is not null) To(_device);
    }

    /// <summary>The projection's parameters, then (MI-α) the log-baseline's weight [1, D] and bias [1]; empty before <see cref="Bind"/>.</summary>
    public override IEnumerable<Parameter> Parameters()
    {
        var own = _projection?.Parameters() ?? [];
        return _baseline is null ? own : own.Concat([_baseline.weight!, _baseline.bias!]);
    }

    /// <inheritdoc />
    public override void To(Device device)
    {
        _device = device;
        _projection?.To(device);
        _baseline?.to(device);
        if (_classSums is not null) _classSums = Move(_classSums, device);
        if (_classCounts is not null) _classCounts = Move(_classCounts, device);
    }

    /// <summary>Converts the owned parameters to another element type (float64 tests).</summary>
    internal void ConvertParameters(ScalarType dtype)
    {
        _projection?.To(dtype);
        _baseline?.to(dtype);
    }

    /// <summary>The projected student layer p [B, D] of a batch (what the hint compares with the teacher).</summary>
    public Tensor Project(LossContext context)
    {
        var projection = _projection ?? throw new InvalidOperationException(
            $"{Name} has not been bound to a student: the trainer calls Bind before training (call loss.Bind(new LossBinding(...)) when computing it by hand).");
        return projection.Forward(StudentLayer(context, StudentLayerIndex));
    }

    /// <inheritdoc />
    public override LossTerms Compute(LossContext context)
    {
        var p = Project(context);
        var t = TeacherRepresentation(context, TeacherColumn).to_type(p.dtype);
        if (t.shape[1] != p.shape[1])
            throw new ArgumentException($"{Name}: teacher column '{TeacherColumn}' has {t.shape[1]} values per row but the loss was bound to {p.shape[1]}.", nameof(context));
        var value = Distance switch
        {
            HintDistance.Mse => (p - t).square().mean(),
            HintDistance.Cosine => (1.0 - RowCosine(p, t)).mean(),
            HintDistance.Nd => NdTerm(context, p, t),
            _ => -InterpolatedBound(p, t),
        };
        return new LossTerms().Add($"hint-{TermSuffix}", Weight == 1.0 ? value : value * Weight);
    }

    private Tensor NdTerm(LossContext context, Tensor p, Tensor t)
    {
        var labels = context.Labels;
        var labelled = labels.ge(0);
        if (context.Training) AccumulateClassMeans(t, labels, labelled);
        if (_classSums is null) return ZeroLike(p);
        long known = _classSums.shape[0];
        var usable = labelled.logical_and(labels.lt(known));
        var index = where(usable, labels, zeros_like(labels));
        var counts = _classCounts!.index_select(0, index).to_type(p.dtype);
        usable = usable.logical_and(counts.gt(0));
        var centre = UnitRows(_classSums.index_select(0, index).to_type(p.dtype));
        var pn = p.square().sum(1).sqrt();
        var tn = t.square().sum(1).sqrt();
        var perRow = 1.0 - (p * centre).sum(1) / maximum(pn, tn).clamp_min(1e-12);
        return MaskedMean(perRow, usable);
    }

    private void AccumulateClassMeans(Tensor t, Tensor labels, Tensor labelled)
    {
        using var _ = no_grad();
        long rows = labelled.sum().item<long>();
        if (rows == 0) return;
        var y = labels.masked_select(labelled);
        var e = t.index_select(0, labelled.nonzero().squeeze(1)).detach().to_type(ScalarType.Float64);
        long needed = y.max().item<long>() + 1;
        if (_classSums is null)
        {
            _classSums = zeros(needed, t.shape[1], dtype: ScalarType.Float64, device: t.device).DetachFromDisposeScope();
            _classCounts = zeros(needed, dtype: ScalarType.Float64, device: t.device).DetachFromDisposeScope();
        }
        else if (_classSums.shape[0] < needed)
        {
            var grownSums = cat([_classSums, zeros(needed - _classSums.shape[0], t.shape[1], dtype: ScalarType.Float64, device: t.device)], 0).DetachFromDisposeScope();
            var grownCounts = cat([_classCounts!, zeros(needed - _classCounts!.shape[0], dtype: ScalarType.Float64, device: t.device)], 0).DetachFromDisposeScope();
            _classSums.Dispose();
            _classCounts.Dispose();
            (_classSums, _classCounts) = (grownSums, grownCounts);
        }
        _classSums.index_add_(0, y, e, 1);
        _classCounts!.index_add_(0, y, ones(rows, dtype: ScalarType.Float64, device: t.device), 1);
    }

    /// <summary>Poole et al.'s interpolated bound I_α over the batch (see the class remarks); zero for fewer than two rows.</summary>
    private Tensor InterpolatedBound(Tensor p, Tensor t)
    {
        long b = p.shape[0];
        var baseline = _baseline ?? throw new InvalidOperationException($"{Name} has not been bound to a student.");
        if (b < 2) return ZeroLike(p) + ZeroLike(baseline.weight!);
        var f = t.matmul(p.t());                                   // f[i, j] = critic(student j, teacher i)
        var logBaseline = baseline.forward(t).squeeze(1);           // a(t_i), [B]
        var leaveOneOut = LeaveOneOutLogMeanExp(f);
        Tensor mixed;
        if (Alpha >= 1.0) mixed = leaveOneOut;
        else if (Alpha <= 0.0) mixed = logBaseline.unsqueeze(1).expand(b, b);
        else mixed = stack([leaveOneOut + Math.Log(Alpha), (logBaseline + Math.Log(1 - Alpha)).unsqueeze(1).expand(b, b)], 0).logsumexp(0);
        var offDiagonal = ones(b, b, dtype: ScalarType.Bool, device: p.device).logical_xor(eye(b, dtype: ScalarType.Bool, device: p.device));
        var pairs = (double)(b * (b - 1));
        var joint = ((f.diagonal().unsqueeze(1) - mixed) * offDiagonal.to_type(f.dtype)).sum() / pairs;
        var marginal = (f - mixed.diagonal().unsqueeze(1)).masked_select(offDiagonal).logsumexp(0) - Math.Log(pairs);
        return 1.0 + joint - marginal.exp();
    }

    /// <summary>
    /// [B, B] → [B, B]: entry (i, j) = log((1/(B − 1))·Σ_{k≠j} exp x[i, k]), exactly and stably in O(B²): for every entry
    /// but the row's largest, log(Σ_k e^x − e^{x_ij}) = lse_i + log1p(−e^{x_ij − lse_i}) with e^{x_ij − lse_i} ≤ ½; for
    /// the largest, the log-sum-exp of the row without it.
    /// </summary>
    private static Tensor LeaveOneOutLogMeanExp(Tensor x)
    {
        long b = x.shape[0];
        var lse = x.logsumexp(1, keepdim: true);
        var isMax = nn.functional.one_hot(x.argmax(1), b).to_type(ScalarType.Bool);
        var others = where(isMax, full_like(x, double.NegativeInfinity), x).logsumexp(1, keepdim: true);
        var share = where(isMax, full_like(x, -1.0), x - lse);
        var rest = lse + (-share.exp()).log1p();
        return where(isMax, others.expand(b, b), rest) - Math.Log(b - 1);
    }

    /// <summary>ND's running class sums and counts, when it has seen a labelled row.</summary>
    internal override void SaveState(IDictionary<string, Tensor> state, string prefix)
    {
        if (_classSums is null) return;
        state[prefix + "class-sums"] = _classSums;
        state[prefix + "class-counts"] = _classCounts!;
    }

    internal override void LoadState(IReadOnlyDictionary<string, Tensor> state, string prefix)
    {
        _classSums?.Dispose();
        _classCounts?.Dispose();
        _classSums = _classCounts = null;
        if (!state.TryGetValue(prefix + "class-sums", out var sums)) return;
        var device = _device ?? CPU;
        _classSums = sums.to(device).clone().DetachFromDisposeScope();
        _classCounts = state[prefix + "class-counts"].to(device).clone().DetachFromDisposeScope();
    }

    private static Tensor Move(Tensor tensor, Device device)
    {
        var moved = tensor.to(device).DetachFromDisposeScope();
        if (!ReferenceEquals(moved, tensor)) tensor.Dispose();
        return moved;
    }

    private void ReleaseState()
    {
        _projection?.Dispose();
        _baseline?.Dispose();
        _classSums?.Dispose();
        _classCounts?.Dispose();
        _projection = null; _baseline = null; _classSums = null; _classCounts = null;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) ReleaseState();
    }
}
