namespace MLNet.Distillation.Reporting;

/// <summary>
/// The regression numbers of a <see cref="DistillationReport"/>, from per-row outputs (k values a row) and labels. A row
/// whose label is missing (<c>labelled[i]</c> false: a NaN in the label) counts only for the distance to the teacher.
/// </summary>
internal static class RegressionMeasures
{
    /// <summary>RMSE, MAE and R² of each output against the labels of the labelled rows.</summary>
    public static IReadOnlyList<RegressionOutputMetrics> PerOutput(IReadOnlyList<float[]> predictions, IReadOnlyList<float[]> labels, IReadOnlyList<bool> labelled, int outputs)
    {
        var result = new RegressionOutputMetrics[outputs];
        for (int k = 0; k < outputs; k++)
        {
            int n = 0;
            double squared = 0, absolute = 0, labelSum = 0, labelSquares = 0;
            for (int i = 0; i < predictions.Count; i++)
            {
                if (!labelled[i]) continue;
                double y = labels[i][k], e = predictions[i][k] - y;
                n++;
                squared += e * e;
                absolute += Math.Abs(e);
                labelSum += y;
                labelSquares += y * y;
            }
            if (n == 0)
            {
                result[k] = new RegressionOutputMetrics(k, null, null, null);
                continue;
            }
            double total = labelSquares - labelSum * labelSum / n;
            result[k] = new RegressionOutputMetrics(k, Math.Sqrt(squared / n), absolute / n, total > 0 ? 1 - squared / total : null);
        }
        return result;
    }

    /// <summary>√(mean (student − teacher)²) over all rows, one value per output; empty without rows.</summary>
    public static IReadOnlyList<double> DistancePerOutput(IReadOnlyList<float[]> student, IReadOnlyList<float[]> teacher, int outputs)
    {
        if (student.Count == 0) return [];
        var result = new double[outputs];
        for (int k = 0; k < outputs; k++)
        {
            double squared = 0;
            for (int i = 0; i < student.Count; i++)
            {
                double d = student[i][k] - (double)teacher[i][k];
                squared += d * d;
            }
            result[k] = Math.Sqrt(squared / student.Count);
        }
        return result;
    }

    /// <summary>Mean of the non-null values; null when there are none.</summary>
    public static double? Mean(IEnumerable<double?> values)
    {
        var present = values.Where(v => v is not null).Select(v => v!.Value).ToArray();
        return present.Length == 0 ? null : present.Average();
    }
}
