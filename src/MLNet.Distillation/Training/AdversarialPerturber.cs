using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Training;

/// <summary>
/// Carries out an <see cref="AdversarialAttack"/> on raw feature rows: sign steps on the input gradient of the summed
/// cross-entropy with the target classes, each projected onto the L∞ ball around the clean row (radius ε·stdⱼ in the
/// standardised space, ε in the raw one) intersected with the training rows' per-feature [min, max]. A clean feature that
/// already lies outside that range may stay where it is or move toward the range, never further out. The random start
/// draws from a seeded <see cref="Random"/>, so an attack is reproducible and leaves TorchSharp's generator alone.
/// </summary>
internal sealed class AdversarialPerturber
{
    private readonly AdversarialAttack _attack;
    private readonly float[] _radius;
    private readonly float[] _step;
    private readonly float[] _min;
    private readonly float[] _max;
    private readonly Random _rng;

    /// <param name="attack">The attack's settings (validated by the caller).</param>
    /// <param name="std">Per-feature standard deviation of the training rows (population).</param>
    /// <param name="min">Per-feature minimum of the training rows.</param>
    /// <param name="max">Per-feature maximum of the training rows.</param>
    /// <param name="seed">Seed of the random start.</param>
    public AdversarialPerturber(AdversarialAttack attack, float[] std, float[] min, float[] max, int seed)
    {
        _attack = attack;
        bool standardized = attack.Space == PerturbationSpace.Standardized;
        _radius = std.Select(s => (float)(attack.Epsilon * (standardized ? s : 1f))).ToArray();
        _step = std.Select(s => (float)(attack.EffectiveStepSize * (standardized ? s : 1f))).ToArray();
        _min = min;
        _max = max;
        _rng = new Random(seed);
    }

    /// <summary>Per-feature standard deviation, minimum and maximum of a set of rows.</summary>
    public static (float[] Std, float[] Min, float[] Max) Statistics(int rows, int features, Func<int, ReadOnlySpan<float>> row)
    {
        var sum = new double[features];
        var sq = new double[features];
        var min = Enumerable.Repeat(float.PositiveInfinity, features).ToArray();
        var max = Enumerable.Repeat(float.NegativeInfinity, features).ToArray();
        for (int r = 0; r < rows; r++)
        {
            var values = row(r);
            for (int j = 0; j < features; j++)
            {
                float v = values[j];
                sum[j] += v;
                sq[j] += (double)v * v;
                min[j] = Math.Min(min[j], v);
                max[j] = Math.Max(max[j], v);
            }
        }
        var std = new float[features];
        for (int j = 0; j < features; j++)
        {
            double mean = sum[j] / rows;
            std[j] = (float)Math.Sqrt(Math.Max(0, sq[j] / rows - mean * mean));
        }
        return (std, min, max);
    }

    /// <summary>
    /// Adversarial versions of <paramref name="x"/> (raw features [n, F]) against <paramref name="forward"/> (raw features →
    /// logits [n, K]) for the target classes <paramref name="targets"/> (int64 [n]); detached. The caller puts the model in
    /// evaluation mode and owns the dispose scope.
    /// </summary>
    public Tensor Perturb(Func<Tensor, Tensor> forward, Tensor x, Tensor targets)
    {
        using var grad = enable_grad();
        x = x.detach();
        var radius = tensor(_radius).unsqueeze(0);
        var step = tensor(_step).unsqueeze(0);
        var lower = minimum(maximum(x - radius, tensor(_min).unsqueeze(0)), x);
        var upper = maximum(minimum(x + radius, tensor(_max).unsqueeze(0)), x);
        var adversarial = x;
        if (_attack.StartsRandomly)
        {
            var noise = new float[x.NumberOfElements];
            for (int i = 0; i < noise.Length; i++) noise[i] = (float)(2 * _rng.NextDouble() - 1);
            adversarial = (x + tensor(noise, x.shape) * radius).maximum(lower).minimum(upper);
        }
        for (int s = 0; s < _attack.EffectiveSteps; s++)
        {
            var input = adversarial.detach().requires_grad_(true);
            var loss = nn.functional.cross_entropy(forward(input), targets, reduction: nn.Reduction.Sum);
            var gradient = torch.autograd.grad([loss], [input])[0];
            adversarial = (input.detach() + step * gradient.sign()).maximum(lower).minimum(upper);
        }
        return adversarial.detach();
    }
}
