using MLNet.Distillation.Students;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Distillation.Training;

/// <summary>
/// The mean teacher of a self-distilling fit (<see cref="SelfDistillationMode.MeanTeacher"/>; Tarvainen and Valpola 2017):
/// a copy of the student whose weights follow the exponential moving average θ′ ← α·θ′ + (1 − α)·θ of the student's
/// after every optimiser step. It scores the clean rows (its logits become the batch's teacher), gives the student a
/// noisy view of them, and — by default — is the network the fit validates and keeps.
/// </summary>
internal sealed class MeanTeacher : IDisposable
{
    private readonly MlpStudent _teacher;
    private readonly (Parameter Teacher, Parameter Student)[] _pairs;
    private readonly (Tensor Teacher, Tensor Student)[] _buffers;
    private readonly double _decay;
    private readonly bool _keep;
    private readonly Tensor? _noise;
    private readonly Generator? _generator;

    /// <summary>Starts the mean teacher as an exact copy of <paramref name="student"/> (the main network: extra heads are not averaged).</summary>
    /// <param name="student">The student it follows.</param>
    /// <param name="decay">α ∈ [0, 1].</param>
    /// <param name="inputNoise">Noise of the student's view in feature standard deviations (0: none).</param>
    /// <param name="featureStd">Each feature's standard deviation on the training rows.</param>
    /// <param name="keepTeacher">Whether the fit keeps the teacher (else the student).</param>
    /// <param name="seed">Seed of the noise.</param>
    /// <param name="createLikeStudent">
    /// Creates a network of the student's architecture (any weights). Needed for a student with a body: its exported form
    /// (batch normalisation folded, …) has other parameters than the network it trains as, so the teacher is a second
    /// network of the training form with the student's parameters and buffers copied in. Creating it leaves TorchSharp's
    /// generator where it was.
    /// </param>
    public MeanTeacher(MlpStudent student, double decay, double inputNoise, float[] featureStd, bool keepTeacher, int seed, Func<MlpStudent>? createLikeStudent = null)
    {
        _decay = decay;
        _keep = keepTeacher;
        _teacher = student.Body is null ? MlpStudent.FromNetwork(student.ToNetwork()) : CopyOf(student,
            createLikeStudent ?? throw new ArgumentNullException(nameof(createLikeStudent), "A student with a body needs a factory for its mean teacher."));
        _teacher.eval();
        var students = student.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        _pairs = _teacher.named_parameters().Select(p => (p.parameter, students[p.name])).ToArray();
        foreach (var (t, _) in _pairs) t.requires_grad = false;
        // A body's buffers (batch normalisation's running statistics) follow the student's by the same average, as the
        // reference implementations' EMA of the whole state does; an MLP has none that change.
        var studentBuffers = student.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        _buffers = student.Body is null ? [] : _teacher.named_buffers().Select(b => (b.buffer, studentBuffers[b.name])).ToArray();
        if (inputNoise > 0)
        {
            _noise = tensor(featureStd.Select(s => (float)(s * inputNoise)).ToArray()).reshape(1, featureStd.Length);
            _generator = new Generator(unchecked((ulong)(uint)seed * 2654435761UL + 1));
        }
    }

    /// <summary>The mean teacher of <paramref name="o"/>'s fit, or null when it does not self-distil with one.</summary>
    public static MeanTeacher? For(StudentOptions o, MlpStudent student, float[] featureStd, int seed, Func<MlpStudent> createLikeStudent)
        => o.SelfDistillation is { Mode: SelfDistillationMode.MeanTeacher } sd
            ? new MeanTeacher(student, sd.EmaDecay, sd.InputNoise, featureStd, sd.KeepMeanTeacher, seed, createLikeStudent)
            : null;

    /// <summary>A network made by <paramref name="create"/> holding <paramref name="student"/>'s parameters and buffers; TorchSharp's generator is left as it was.</summary>
    private static MlpStudent CopyOf(MlpStudent student, Func<MlpStudent> create)
    {
        using var generator = torch.random.get_rng_state();
        var copy = create();
        torch.random.set_rng_state(generator);
        using (no_grad())
        {
            var parameters = student.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, p) in copy.named_parameters()) p.copy_(parameters[name]);
            var buffers = student.named_buffers().ToDictionary(b => b.name, b => b.buffer);
            foreach (var (name, b) in copy.named_buffers()) b.copy_(buffers[name]);
        }
        return copy;
    }

    /// <summary>Optimiser steps averaged so far.</summary>
    public long Updates { get; private set; }

    /// <summary>The teacher network (in evaluation mode).</summary>
    public MlpStudent Network => _teacher;

    /// <summary>The network the fit validates and returns: the teacher, or <paramref name="student"/> when the options keep the student.</summary>
    public MlpStudent Kept(MlpStudent student) => _keep ? _teacher : student;

    /// <summary>The decay of the next update: min(α, 1 − 1/(t + 1)) for the t-th update, as in the reference code.</summary>
    public double NextDecay => Math.Min(_decay, 1 - 1.0 / (Updates + 2));

    /// <summary>The teacher's logits on the clean rows <paramref name="x"/> [B, F], without gradient.</summary>
    public Tensor Teach(Tensor x)
    {
        using var _ = no_grad();
        return _teacher.forward(x);
    }

    /// <summary>The student's view of <paramref name="x"/>: the rows plus Gaussian noise of the configured share of each feature's standard deviation.</summary>
    public Tensor StudentView(Tensor x)
        => _noise is null ? x : x + randn(x.shape, x.dtype, x.device, generator: _generator) * _noise;

    /// <summary>Moves the teacher's weights toward the student's: θ′ ← d·θ′ + (1 − d)·θ with d = <see cref="NextDecay"/>.</summary>
    public void Update()
    {
        double d = NextDecay;
        using (no_grad())
        {
            foreach (var (t, s) in _pairs)
                t.mul_(d).add_(s.detach(), alpha: 1 - d);
            foreach (var (t, s) in _buffers)
            {
                if (t.is_floating_point()) t.mul_(d).add_(s, alpha: 1 - d);
                else t.copy_(s);
            }
        }
        Updates++;
    }

    /// <summary>
    /// Adds what a checkpoint needs to continue the average (the teacher's weights, the update count and the noise
    /// generator's state) to <paramref name="state"/>; call inside a dispose scope.
    /// </summary>
    public void SaveState(IDictionary<string, Tensor> state)
    {
        foreach (var (name, p) in _teacher.named_parameters()) state[StatePrefix + name] = p;
        foreach (var (name, b) in _teacher.named_buffers()) state[StatePrefix + "buffer." + name] = b;
        state[StatePrefix + "updates"] = tensor(Updates);
        if (_generator is not null) state[StatePrefix + "noise-generator"] = _generator.get_state();
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote.</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        using (no_grad())
        {
            foreach (var (name, p) in _teacher.named_parameters()) p.copy_(state[StatePrefix + name]);
            foreach (var (name, b) in _teacher.named_buffers()) b.copy_(state[StatePrefix + "buffer." + name]);
        }
        Updates = state[StatePrefix + "updates"].item<long>();
        if (_generator is not null) _generator.set_state(state[StatePrefix + "noise-generator"]);
    }

    private const string StatePrefix = "mean-teacher.";

    public void Dispose()
    {
        _teacher.Dispose();
        _noise?.Dispose();
        _generator?.Dispose();
    }
}
