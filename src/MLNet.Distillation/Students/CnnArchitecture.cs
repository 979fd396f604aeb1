using System.Globalization;

namespace MLNet.Distillation.Students;

/// <summary>The CNN student body (<see cref="StudentArchitecture.Cnn"/>), with its options checked and copied.</summary>
internal sealed class CnnArchitecture : StudentArchitecture
{
    public CnnArchitecture(CnnOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Clone();
        Options.Validate();
    }

    /// <summary>[channels, height, width] when <paramref name="architecture"/> is a CNN, else null: the default image shape of the transfer set's image augmentations.</summary>
    internal static int[]? ImageShapeOf(StudentArchitecture? architecture)
        => architecture is CnnArchitecture cnn ? [cnn.Options.Channels, cnn.Options.Height, cnn.Options.Width] : null;

    /// <summary>The options, as they were when the architecture was made.</summary>
    public CnnOptions Options { get; }

    public override string Describe() => Describe(Options);

    /// <summary>"cnn 1×28×28 [16c3-bn-p2, 32c3-bn-p2]", with " gap" for a global average pool.</summary>
    internal static string Describe(CnnOptions o)
        => string.Create(CultureInfo.InvariantCulture, $"cnn {o.Channels}×{o.Height}×{o.Width} [{string.Join(", ", o.Blocks.Select(b => b.Describe(o.BatchNorm)))}]")
           + (o.Output == CnnOutput.GlobalAveragePool ? " gap" : "");

    internal override StudentBodyModule Create(BodyContext context)
    {
        if (context.InputWidth != Options.InputSize)
            throw new ArgumentException(
                $"The feature column '{context.FeatureColumnName}' holds {context.InputWidth} values per row, but the CNN student's image shape " +
                $"{Options.Channels}×{Options.Height}×{Options.Width} (CnnOptions Channels × Height × Width) needs {Options.InputSize}. " +
                $"Set the shape to the images the column holds, channel-major then row-major.");
        var (mean, scale) = Options.NormalizeInput ? PixelStatistics(context.FeatureMean, context.FeatureStd) : (0f, 1f);
        return new CnnBodyModule(Options, mean, scale);
    }

    /// <summary>
    /// One mean and one factor (1 / standard deviation) over every pixel of every training row, from the per-pixel means
    /// and standard deviations: the pooled variance is the mean of (std² + mean²) less the squared overall mean.
    /// </summary>
    internal static (float Mean, float Scale) PixelStatistics(float[] mean, float[] std)
    {
        double m = 0, sq = 0;
        for (int i = 0; i < mean.Length; i++)
        {
            m += mean[i];
            sq += (double)std[i] * std[i] + (double)mean[i] * mean[i];
        }
        m /= mean.Length;
        double sd = Math.Sqrt(Math.Max(0, sq / mean.Length - m * m));
        return ((float)m, sd > 1e-6 ? (float)(1 / sd) : 1f);
    }
}
