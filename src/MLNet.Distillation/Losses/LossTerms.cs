using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

/// <summary>
/// The named terms of a loss for one batch (e.g. <c>kd</c>, <c>ce</c>), each a scalar tensor already multiplied by its weight.
/// <see cref="Total"/> is their sum and is what the trainer back-propagates; the names feed progress logs.
/// </summary>
public sealed class LossTerms
{
    private readonly List<KeyValuePair<string, Tensor>> _terms = new();

    /// <summary>The terms in the order they were added.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> Terms => _terms;

    /// <summary>Adds a scalar term. A name already present gets a numeric suffix so that no term is hidden.</summary>
    public LossTerms Add(string name, Tensor value)
    {
        var unique = name;
        for (int i = 2; _terms.Any(t => t.Key == unique); i++) unique = $"{name}{i}";
        _terms.Add(new(unique, value));
        return this;
    }

    /// <summary>The term with this name.</summary>
    public Tensor this[string name] => _terms.First(t => t.Key == name).Value;

    /// <summary>Sum of all terms (a scalar tensor).</summary>
    public Tensor Total
    {
        get
        {
            if (_terms.Count == 0) throw new InvalidOperationException("A loss returned no terms.");
            var total = _terms[0].Value;
            for (int i = 1; i < _terms.Count; i++) total = total + _terms[i].Value;
            return total;
        }
    }

    /// <summary>The terms as plain numbers (reads each tensor once).</summary>
    public IReadOnlyDictionary<string, double> ToValues() => _terms.ToDictionary(t => t.Key, t => ToDouble(t.Value));

    private static double ToDouble(Tensor scalar)
    {
        // A float32 term read as float and widened is the same double as the term converted by torch: no extra tensor operations per step.
        if (scalar.dtype == ScalarType.Float32) return scalar.item<float>();
        using var d = scalar.detach().to_type(ScalarType.Float64);
        return d.item<double>();
    }
}
