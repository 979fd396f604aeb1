namespace MLNet.Distillation.Training;

/// <summary>Makes synthetic rows from a batch of real rows (raw features, row-major) with a seeded generator.</summary>
internal sealed class TransferSetGenerator
{
    private readonly TransferSetOptions _o;
    private readonly float[] _featureStd;
    private readonly Random _rng;
    private readonly TransferAugmentation[] _kinds;
    private readonly int[]? _imageShape;

    /// <param name="options">The generators and their settings.</param>
    /// <param name="featureStd">Per-feature standard deviation of the training rows.</param>
    /// <param name="seed">Seed of the generator.</param>
    /// <param name="studentImageShape">The CNN student's [channels, height, width], used when <see cref="TransferSetOptions.ImageShape"/> is null.</param>
    public TransferSetGenerator(TransferSetOptions options, float[] featureStd, int seed, int[]? studentImageShape = null)
    {
        _o = options;
        _imageShape = options.ImageShape ?? studentImageShape;
        _featureStd = featureStd;
        _rng = new Random(seed);
        _kinds = Enum.GetValues<TransferAugmentation>().Where(k => k != TransferAugmentation.None && options.Augmentations.HasFlag(k)).ToArray();
        if (_imageShape is { } shape && shape.Aggregate(1, (a, b) => a * b) != featureStd.Length)
            throw new ArgumentException($"TransferSetOptions.ImageShape [{string.Join(", ", shape)}] holds {shape.Aggregate(1, (a, b) => a * b)} values, but the feature vector has {featureStd.Length}.");
    }

    public int SyntheticRows(int realRows) => Math.Max(1, (int)Math.Round(realRows * _o.RowsPerRealRow));

    /// <summary>Synthetic rows made from <paramref name="rows"/> (n × f values).</summary>
    public float[] Make(float[] rows, int n, int count)
    {
        int f = _featureStd.Length;
        var result = new float[count * f];
        for (int s = 0; s < count; s++)
        {
            int i = _rng.Next(n), j = _rng.Next(n);
            var dst = result.AsSpan(s * f, f);
            var a = rows.AsSpan(i * f, f);
            var b = rows.AsSpan(j * f, f);
            switch (_kinds[_rng.Next(_kinds.Length)])
            {
                case TransferAugmentation.GaussianNoise:
                    for (int k = 0; k < f; k++) dst[k] = a[k] + (float)(Normal() * _o.NoiseStd * _featureStd[k]);
                    break;
                case TransferAugmentation.FeatureDropout:
                    for (int k = 0; k < f; k++) dst[k] = _rng.NextDouble() < _o.FeatureDropout ? 0f : a[k];
                    break;
                case TransferAugmentation.Mixup:
                    float lambda = (float)Beta(_o.MixupAlpha);
                    for (int k = 0; k < f; k++) dst[k] = lambda * a[k] + (1 - lambda) * b[k];
                    break;
                case TransferAugmentation.CutMix:
                    CutMix(a, b, dst);
                    break;
                case TransferAugmentation.ShiftFlip:
                    ShiftFlip(a, dst);
                    break;
                case TransferAugmentation.Munge:
                    Munge(rows, n, i, dst);
                    break;
            }
        }
        return result;
    }

    private void CutMix(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst)
    {
        var (c, h, w) = (_imageShape![0], _imageShape[1], _imageShape[2]);
        a.CopyTo(dst);
        double cut = Math.Sqrt(1 - Beta(_o.MixupAlpha));
        int ch = (int)(h * cut), cw = (int)(w * cut);
        int y0 = _rng.Next(h - ch + 1), x0 = _rng.Next(w - cw + 1);
        for (int ci = 0; ci < c; ci++)
            for (int y = y0; y < y0 + ch; y++)
                for (int x = x0; x < x0 + cw; x++)
                {
                    int idx = (ci * h + y) * w + x;
                    dst[idx] = b[idx];
                }
    }

    private void ShiftFlip(ReadOnlySpan<float> a, Span<float> dst)
    {
        var (c, h, w) = (_imageShape![0], _imageShape[1], _imageShape[2]);
        int dy = _rng.Next(-_o.MaxShift, _o.MaxShift + 1), dx = _rng.Next(-_o.MaxShift, _o.MaxShift + 1);
        bool flip = _o.HorizontalFlip && _rng.Next(2) == 0;
        dst.Clear();
        for (int ci = 0; ci < c; ci++)
            for (int y = 0; y < h; y++)
            {
                int sy = y - dy;
                if (sy < 0 || sy >= h) continue;
                for (int x = 0; x < w; x++)
                {
                    int sx = (flip ? w - 1 - x : x) - dx;
                    if (sx < 0 || sx >= w) continue;
                    dst[(ci * h + y) * w + x] = a[(ci * h + sy) * w + sx];
                }
            }
    }

    private void Munge(float[] rows, int n, int i, Span<float> dst)
    {
        int f = _featureStd.Length;
        var a = rows.AsSpan(i * f, f);
        int nearest = i;
        double best = double.PositiveInfinity;
        for (int r = 0; r < n; r++)
        {
            if (r == i) continue;
            var b = rows.AsSpan(r * f, f);
            double d = 0;
            for (int k = 0; k < f; k++)
            {
                double z = (a[k] - b[k]) / (_featureStd[k] > 0 ? _featureStd[k] : 1);
                d += z * z;
            }
            if (d < best) { best = d; nearest = r; }
        }
        var e = rows.AsSpan(nearest * f, f);
        for (int k = 0; k < f; k++)
        {
            if (_rng.NextDouble() < _o.MungeSwapProbability)
                dst[k] = (float)(e[k] + Normal() * Math.Abs(a[k] - e[k]) / _o.MungeLocalVariance);
            else dst[k] = a[k];
        }
    }

    private double Normal()
    {
        double u1 = 1.0 - _rng.NextDouble(), u2 = _rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private double Beta(double alpha)
    {
        double x = Gamma(alpha), y = Gamma(alpha);
        return x / (x + y);
    }

    /// <summary>Marsaglia–Tsang gamma sampler (shape k, scale 1).</summary>
    private double Gamma(double k)
    {
        if (k < 1) return Gamma(k + 1) * Math.Pow(_rng.NextDouble(), 1 / k);
        double d = k - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do { x = Normal(); v = 1 + c * x; } while (v <= 0);
            v = v * v * v;
            double u = _rng.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v))) return d * v;
        }
    }
}
