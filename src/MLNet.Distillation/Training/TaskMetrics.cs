using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Training;

/// <summary>
/// Validation metrics of a binary, regression or ranking student from its outputs on the validation rows, row-major
/// [rows, C] in the student's training form (logits; standardised regression outputs): binary — accuracy, log-loss,
/// agreement with the teacher's class and the Bernoulli KL to it; regression — RMSE against the labels and against the
/// teacher, in the targets' own units; ranking — NDCG@10 over the labelled groups and the share of pairs in a group that
/// the student orders as the teacher does (NDCG as ML.NET's ranking evaluator computes it); embedding — the mean cosine similarity to the teacher's embedding.
/// </summary>
internal static class TaskMetrics
{
    /// <summary>Cut-off of the validation NDCG (ML.NET's ranking evaluator reports NDCG@1..10).</summary>
    public const int NdcgAt = 10;

    public static EpochProgress Compute(TrainingSet v, float[] outputs, bool throughSigmoid, EpochProgress p) => v.Task switch
    {
        DistillationTask.BinaryClassification => Binary(v, outputs, p),
        DistillationTask.Regression => Regression(v, outputs, throughSigmoid, p),
        DistillationTask.Ranking => Ranking(v, outputs, p),
        DistillationTask.Embedding => Embedding(v, outputs, p),
        _ => throw new ArgumentOutOfRangeException(nameof(v), v.Task, "Multiclass metrics are computed by the training loop."),
    };

    private static EpochProgress Binary(TrainingSet v, float[] logits, EpochProgress p)
    {
        long labelled = 0, correct = 0, agreeing = 0;
        double nll = 0, kl = 0;
        for (int r = 0; r < v.Rows; r++)
        {
            double s = logits[r];
            int y = v.Label(r);
            if (y >= 0)
            {
                labelled++;
                if ((s > 0) == (y == 1)) correct++;
                nll += y == 1 ? Softplus(-s) : Softplus(s);
            }
            if (v.HasTeacher)
            {
                double t = v.TeacherRow(r)[0];
                if ((s > 0) == (t > 0)) agreeing++;
                double pt = Sigmoid(t);
                // KL(Bernoulli(σ(t)) ‖ Bernoulli(σ(s))) = pt·(log pt − log ps) + (1 − pt)·(log(1 − pt) − log(1 − ps)),
                // with log σ(x) = −softplus(−x) and log(1 − σ(x)) = −softplus(x).
                kl += pt * (Softplus(-s) - Softplus(-t)) + (1 - pt) * (Softplus(s) - Softplus(t));
            }
        }
        return p with
        {
            ValidationAccuracy = labelled > 0 ? correct / (double)labelled : double.NaN,
            ValidationLogLoss = labelled > 0 ? nll / labelled : double.NaN,
            ValidationTeacherAgreement = v.HasTeacher ? agreeing / (double)v.Rows : double.NaN,
            ValidationTeacherKl = v.HasTeacher ? kl / v.Rows : double.NaN,
        };
    }

    private static EpochProgress Regression(TrainingSet v, float[] outputs, bool throughSigmoid, EpochProgress p)
    {
        int k = v.ClassCount;
        var scaling = v.Scaling;
        double sqLabel = 0, sqTeacher = 0;
        long labelledValues = 0;
        for (int r = 0; r < v.Rows; r++)
        {
            bool labelled = v.Label(r) >= 0;
            var target = v.TargetRow(r);
            ReadOnlySpan<float> teacher = v.HasTeacher ? v.TeacherRow(r) : default;
            for (int j = 0; j < k; j++)
            {
                double s = Unscale(outputs[r * k + j], j, scaling, throughSigmoid);
                if (labelled)
                {
                    double e = s - Unscale(target[j], j, scaling, false);
                    sqLabel += e * e;
                    labelledValues++;
                }
                if (v.HasTeacher)
                {
                    double e = s - Unscale(teacher[j], j, scaling, false);
                    sqTeacher += e * e;
                }
            }
        }
        return p with
        {
            ValidationRmse = labelledValues > 0 ? Math.Sqrt(sqLabel / labelledValues) : double.NaN,
            ValidationTeacherRmse = v.HasTeacher ? Math.Sqrt(sqTeacher / ((long)v.Rows * k)) : double.NaN,
        };
    }

    /// <summary>Mean cosine similarity between the student's and the teacher's embedding of each validation row.</summary>
    private static EpochProgress Embedding(TrainingSet v, float[] embeddings, EpochProgress p)
    {
        int d = v.ClassCount;
        double sum = 0;
        for (int r = 0; r < v.Rows; r++)
            sum += Cosine(embeddings.AsSpan(r * d, d), v.TeacherRow(r));
        return p with { ValidationTeacherCosine = sum / v.Rows };
    }

    /// <summary>cos(a, b); 0 when either is the zero vector.</summary>
    internal static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    private static EpochProgress Ranking(TrainingSet v, float[] scores, EpochProgress p)
    {
        double ndcgSum = 0;
        int ndcgGroups = 0;
        long pairs = 0, agreeing = 0;
        foreach (var rows in Enumerable.Range(0, v.Rows).GroupBy(v.Group).Select(g => g.ToArray()))
        {
            if (Ndcg(v, rows, scores) is double ndcg)
            {
                ndcgSum += ndcg;
                ndcgGroups++;
            }
            if (!v.HasTeacher) continue;
            for (int a = 0; a < rows.Length; a++)
                for (int b = a + 1; b < rows.Length; b++)
                {
                    double dt = v.TeacherRow(rows[a])[0] - v.TeacherRow(rows[b])[0];
                    if (dt == 0) continue;
                    pairs++;
                    if (Math.Sign(scores[rows[a]] - scores[rows[b]]) == Math.Sign(dt)) agreeing++;
                }
        }
        return p with
        {
            ValidationNdcg = ndcgGroups > 0 ? ndcgSum / ndcgGroups : double.NaN,
            ValidationTeacherAgreement = pairs > 0 ? agreeing / (double)pairs : double.NaN,
        };
    }

    /// <summary>
    /// The units a paired comparison of two students averages over: per validation row the squared error against the
    /// label, mean over the outputs, in the targets' units (regression; unlabelled rows left out), or per labelled group
    /// its NDCG@10 (ranking). The units of two students on the same rows line up one to one.
    /// </summary>
    public static double[] Units(TrainingSet v, float[] outputs, bool throughSigmoid)
    {
        var units = new List<double>();
        if (v.Task == DistillationTask.Regression)
        {
            int k = v.ClassCount;
            for (int r = 0; r < v.Rows; r++)
            {
                if (v.Label(r) < 0) continue;
                var target = v.TargetRow(r);
                double sq = 0;
                for (int j = 0; j < k; j++)
                {
                    double e = Unscale(outputs[r * k + j], j, v.Scaling, throughSigmoid) - Unscale(target[j], j, v.Scaling, false);
                    sq += e * e;
                }
                units.Add(sq / k);
            }
            return units.ToArray();
        }
        if (v.Task != DistillationTask.Ranking) throw new ArgumentOutOfRangeException(nameof(v), v.Task, "Classification is compared by accuracy.");
        foreach (var rows in Enumerable.Range(0, v.Rows).GroupBy(v.Group).Select(g => g.ToArray()))
            if (Ndcg(v, rows, outputs) is double n) units.Add(n);
        return units.ToArray();
    }

    /// <summary>
    /// NDCG@10 of one group's rows scored by <paramref name="scores"/>, with ML.NET's ranking evaluator's default gains
    /// (grade 0, 1, 2, 3, 4 → 0, 3, 7, 15, 31: <see cref="Gain"/>) so that it equals <c>Ranking.Evaluate</c>; a group whose
    /// gains are all 0 counts 0, as there. Null when a row of the group has no label.
    /// </summary>
    private static double? Ndcg(TrainingSet v, int[] rows, float[] scores)
    {
        if (!rows.All(r => v.Label(r) >= 0)) return null;
        var gains = rows.Select(r => Gain(v.TargetRow(r)[0])).ToArray();
        double ideal = Dcg(gains.OrderDescending().ToArray());
        if (ideal <= 0) return 0;
        var byStudent = Enumerable.Range(0, rows.Length).OrderByDescending(i => scores[rows[i]]).Select(i => gains[i]).ToArray();
        return Dcg(byStudent) / ideal;
    }

    /// <summary>ML.NET's default ranking gain of a relevance grade: 0 for grade 0, 2^(grade+1) − 1 above (3, 7, 15, 31, …).</summary>
    internal static double Gain(double grade) => grade <= 0 ? 0 : Math.Pow(2, grade + 1) - 1;

    /// <summary>Discounted cumulative gain of the first <see cref="NdcgAt"/> gains: Σ gᵢ / log₂(i + 2).</summary>
    private static double Dcg(double[] gains)
    {
        double sum = 0;
        for (int i = 0; i < Math.Min(NdcgAt, gains.Length); i++) sum += gains[i] / Math.Log2(i + 2);
        return sum;
    }

    private static double Unscale(double value, int output, TargetScaling? scaling, bool throughSigmoid)
        => throughSigmoid ? Sigmoid(value) : scaling is null ? value : value * scaling.Std[output] + scaling.Mean[output];

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>log(1 + eˣ), stable for large |x|.</summary>
    private static double Softplus(double x) => x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));
}
