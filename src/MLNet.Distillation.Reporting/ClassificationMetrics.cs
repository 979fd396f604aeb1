namespace MLNet.Distillation.Reporting;

/// <summary>
/// The numbers of a <see cref="DistillationReport"/>, computed from per-row class probabilities. Rows are arrays of K
/// probabilities; a label is a zero-based class index, or -1 for a row without a label (left out of the labelled metrics).
/// Ties in an arg-max go to the lowest class index.
/// </summary>
internal static class ClassificationMetrics
{
    /// <summary>Probabilities below this are clamped before taking a logarithm (the value ML.NET's evaluator uses).</summary>
    public const double Epsilon = 1e-15;

    /// <summary>Index of the largest value (the first one on ties).</summary>
    public static int ArgMax(IReadOnlyList<float> p)
    {
        int best = 0;
        for (int k = 1; k < p.Count; k++) if (p[k] > p[best]) best = k;
        return best;
    }

    /// <summary>Fraction of labelled rows whose arg-max is the label; null without labelled rows.</summary>
    public static double? Accuracy(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> labels)
    {
        int n = 0, correct = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            if (labels[i] < 0) continue;
            n++;
            if (ArgMax(probabilities[i]) == labels[i]) correct++;
        }
        return n == 0 ? null : correct / (double)n;
    }

    /// <summary>
    /// Unweighted mean over classes of F1 = 2·TP / (2·TP + FP + FN), over the classes that occur as a label or as a
    /// prediction on the labelled rows (a class that is neither has no F1; this is scikit-learn's macro average).
    /// </summary>
    public static double? MacroF1(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> labels, int classes)
    {
        var tp = new int[classes];
        var fp = new int[classes];
        var fn = new int[classes];
        bool any = false;
        for (int i = 0; i < labels.Count; i++)
        {
            if (labels[i] < 0) continue;
            any = true;
            int predicted = ArgMax(probabilities[i]);
            if (predicted == labels[i]) tp[predicted]++;
            else { fp[predicted]++; fn[labels[i]]++; }
        }
        if (!any) return null;
        double sum = 0;
        int counted = 0;
        for (int k = 0; k < classes; k++)
        {
            int denominator = 2 * tp[k] + fp[k] + fn[k];
            if (denominator == 0) continue;
            sum += 2.0 * tp[k] / denominator;
            counted++;
        }
        return sum / counted;
    }

    /// <summary>Mean of −ln p(label) over labelled rows, p clamped at <see cref="Epsilon"/>; null without labelled rows.</summary>
    public static double? LogLoss(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> labels)
    {
        int n = 0;
        double sum = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            if (labels[i] < 0) continue;
            n++;
            sum -= Math.Log(Math.Max(probabilities[i][labels[i]], Epsilon));
        }
        return n == 0 ? null : sum / n;
    }

    /// <summary>Fraction of rows where both arg-maxes agree.</summary>
    public static double Agreement(IReadOnlyList<float[]> teacher, IReadOnlyList<float[]> student)
    {
        if (teacher.Count == 0) return double.NaN;
        int same = 0;
        for (int i = 0; i < teacher.Count; i++) if (ArgMax(teacher[i]) == ArgMax(student[i])) same++;
        return same / (double)teacher.Count;
    }

    /// <summary>
    /// Mean over rows of KL(teacher ‖ student) = Σₖ tₖ·ln(tₖ / sₖ), in nats; terms with tₖ = 0 are 0 and sₖ is clamped at
    /// <see cref="Epsilon"/>.
    /// </summary>
    public static double MeanKl(IReadOnlyList<float[]> teacher, IReadOnlyList<float[]> student)
    {
        if (teacher.Count == 0) return double.NaN;
        double sum = 0;
        for (int i = 0; i < teacher.Count; i++)
        {
            for (int k = 0; k < teacher[i].Length; k++)
            {
                double t = teacher[i][k];
                if (t <= 0) continue;
                sum += t * (Math.Log(t) - Math.Log(Math.Max(student[i][k], Epsilon)));
            }
        }
        return sum / teacher.Count;
    }

    /// <summary>
    /// Confidence (the top probability) against accuracy in <paramref name="bins"/> equal-width bins; bin b holds the
    /// labelled rows with confidence in (b/B, (b+1)/B] (bin 0 also holds 0).
    /// </summary>
    public static IReadOnlyList<ReliabilityBin> Reliability(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> labels, int bins)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "Calibration needs at least one bin (typical: 10 or 15).");
        var count = new int[bins];
        var confidence = new double[bins];
        var correct = new int[bins];
        for (int i = 0; i < labels.Count; i++)
        {
            if (labels[i] < 0) continue;
            int predicted = ArgMax(probabilities[i]);
            double c = probabilities[i][predicted];
            int b = Math.Clamp((int)Math.Ceiling(c * bins) - 1, 0, bins - 1);
            count[b]++;
            confidence[b] += c;
            if (predicted == labels[i]) correct[b]++;
        }
        return Enumerable.Range(0, bins).Select(b => new ReliabilityBin(
            b / (double)bins, (b + 1) / (double)bins, count[b],
            count[b] == 0 ? null : confidence[b] / count[b],
            count[b] == 0 ? null : correct[b] / (double)count[b])).ToArray();
    }

    /// <summary>Expected calibration error: Σ_b (n_b / N)·|accuracy_b − mean confidence_b| over the bins; null without labelled rows.</summary>
    public static double? ExpectedCalibrationError(IReadOnlyList<ReliabilityBin> bins)
    {
        long n = bins.Sum(b => (long)b.Count);
        if (n == 0) return null;
        return bins.Where(b => b.Count > 0).Sum(b => b.Count / (double)n * Math.Abs(b.Accuracy!.Value - b.MeanConfidence!.Value));
    }

    /// <summary>
    /// Area under the ROC curve of a binary score on the labelled rows (label 1 = positive): the probability that a random
    /// positive row scores above a random negative one, ties counting one half (the Mann–Whitney statistic with mid-ranks);
    /// null unless both classes occur.
    /// </summary>
    public static double? AreaUnderRoc(IReadOnlyList<double> scores, IReadOnlyList<int> labels)
    {
        var rows = Enumerable.Range(0, labels.Count).Where(i => labels[i] >= 0).OrderBy(i => scores[i]).ToArray();
        long positives = rows.LongCount(i => labels[i] == 1), negatives = rows.Length - positives;
        if (positives == 0 || negatives == 0) return null;
        double positiveRankSum = 0;
        for (int start = 0; start < rows.Length;)
        {
            int end = start;
            while (end + 1 < rows.Length && scores[rows[end + 1]] == scores[rows[start]]) end++;
            double midRank = (start + end) / 2.0 + 1;
            for (int j = start; j <= end; j++) if (labels[rows[j]] == 1) positiveRankSum += midRank;
            start = end + 1;
        }
        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>Softmax of one row of logits, computed in double and returned as float.</summary>
    public static float[] Softmax(IReadOnlyList<float> logits)
    {
        double max = logits.Max();
        var e = logits.Select(z => Math.Exp(z - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => (float)(v / sum)).ToArray();
    }
}
