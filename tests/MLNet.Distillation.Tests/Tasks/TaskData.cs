using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Tests.Tasks;

/// <summary>
/// Small generated data sets for the binary, regression and ranking students: features from a seeded Gaussian, labels
/// from a known rule, and a "teacher" column that knows the rule (so a distilled student can be told from a scratch one).
/// </summary>
internal static class TaskData
{
    public const int FeatureCount = 6;

    public sealed class BinaryRow
    {
        [VectorType(FeatureCount)] public float[] Features { get; set; } = [];
        public bool Label { get; set; }
        [VectorType(1)] public float[] Teacher { get; set; } = [];
    }

    public sealed class PartlyLabelledBinaryRow
    {
        [VectorType(FeatureCount)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
        [VectorType(2)] public float[] Teacher { get; set; } = [];
    }

    public sealed class RegressionRow
    {
        [VectorType(FeatureCount)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
        [VectorType(1)] public float[] Teacher { get; set; } = [];
    }

    public sealed class MultiOutputRow
    {
        [VectorType(FeatureCount)] public float[] Features { get; set; } = [];
        [VectorType(3)] public float[] Label { get; set; } = [];
        [VectorType(3)] public float[] Teacher { get; set; } = [];
    }

    public sealed class RankingRow
    {
        [VectorType(FeatureCount)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
        public uint GroupId { get; set; }
        [VectorType(1)] public float[] Teacher { get; set; } = [];
    }

    private static float[] Gaussian(Random rng, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return x;
    }

    /// <summary>The rule behind every set: a fixed nonlinear function of the features.</summary>
    public static double Rule(float[] x) => 1.5 * x[0] - x[1] + 0.8 * x[2] * x[3] + Math.Sin(2 * x[4]);

    public static IDataView Binary(MLContext ml, int rows, int seed)
    {
        var rng = new Random(seed);
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(_ =>
        {
            var x = Gaussian(rng, FeatureCount);
            double z = Rule(x);
            return new BinaryRow { Features = x, Label = z + 0.3 * Gaussian(rng, 1)[0] > 0, Teacher = [(float)(3 * z)] };
        }).ToArray());
    }

    /// <summary>Binary rows with a Single label that is NaN on all but <paramref name="labelledShare"/> of them, and a two-probability teacher.</summary>
    public static IDataView PartlyLabelledBinary(MLContext ml, int rows, double labelledShare, int seed)
    {
        var rng = new Random(seed);
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(_ =>
        {
            var x = Gaussian(rng, FeatureCount);
            double z = Rule(x);
            float p = (float)(1 / (1 + Math.Exp(-3 * z)));
            return new PartlyLabelledBinaryRow { Features = x, Label = rng.NextDouble() < labelledShare ? (z > 0 ? 1 : 0) : float.NaN, Teacher = [1 - p, p] };
        }).ToArray());
    }

    /// <summary>Regression rows in large units (the targets are around 5,000 with a spread of about 1,000) to exercise the standardisation.</summary>
    public static IDataView Regression(MLContext ml, int rows, int seed)
    {
        var rng = new Random(seed);
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(_ =>
        {
            var x = Gaussian(rng, FeatureCount);
            double y = 5000 + 1000 * Rule(x);
            return new RegressionRow { Features = x, Label = (float)(y + 50 * Gaussian(rng, 1)[0]), Teacher = [(float)y] };
        }).ToArray());
    }

    public static IDataView MultiOutput(MLContext ml, int rows, int seed)
    {
        var rng = new Random(seed);
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(_ =>
        {
            var x = Gaussian(rng, FeatureCount);
            var y = new[] { (float)Rule(x), (float)(10 * x[5] - 3), (float)(x[0] * x[1]) };
            return new MultiOutputRow { Features = x, Label = y.Select(v => v + 0.05f * Gaussian(rng, 1)[0]).ToArray(), Teacher = y };
        }).ToArray());
    }

    /// <summary>Groups of 12 (query, document) rows; relevance 0–3 grows with the rule's value, the teacher scores by the rule.</summary>
    public static IDataView Ranking(MLContext ml, int groups, int seed, bool contiguous = false)
    {
        var rng = new Random(seed);
        var rows = new List<RankingRow>();
        for (int g = 0; g < groups; g++)
            for (int d = 0; d < 12; d++)
            {
                var x = Gaussian(rng, FeatureCount);
                double z = Rule(x);
                rows.Add(new RankingRow { Features = x, GroupId = (uint)(g + 1), Label = (float)Math.Clamp(Math.Floor(z + 1.5), 0, 3), Teacher = [(float)z] });
            }
        if (contiguous) return ml.Data.LoadFromEnumerable(rows);
        // Interleave two halves so that the rows of a group are not contiguous: the trainer must group them itself.
        var order = rows.Where((_, i) => i % 2 == 0).Concat(rows.Where((_, i) => i % 2 == 1)).ToArray();
        return ml.Data.LoadFromEnumerable(order);
    }
}
