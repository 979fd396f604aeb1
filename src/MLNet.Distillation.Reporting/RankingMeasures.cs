namespace MLNet.Distillation.Reporting;

/// <summary>
/// The ranking numbers of a <see cref="DistillationReport"/>, from per-row scores, relevance grades and group numbers
/// (0 … G−1; the rows of a group need not be contiguous).
/// </summary>
internal static class RankingMeasures
{
    /// <summary>
    /// NDCG@1 … NDCG@<paramref name="depth"/>, each the mean over the groups with a labelled row: per group, the labelled
    /// rows are sorted by score (descending; ties put the lower grade first, as ML.NET's evaluator does), DCG@k =
    /// Σ_{i&lt;k} gains[grade] / log₂(i + 2), divided by the DCG@k of the rows sorted by grade. A group whose rows all have
    /// gain 0 counts as 0, as in ML.NET's <c>Ranking.Evaluate</c>. Rows with a NaN score are left out. Null without labelled rows.
    /// </summary>
    public static double[]? Ndcg(IReadOnlyList<float> scores, IReadOnlyList<float> grades, IReadOnlyList<bool> labelled, IReadOnlyList<int> groups, int depth,
        IReadOnlyList<double> gains)
    {
        CheckGrades(grades, labelled, gains);
        double Gain(float grade) => gains[(int)grade];
        var sum = new double[depth];
        int counted = 0;
        foreach (var rows in Groups(groups))
        {
            var kept = rows.Where(i => labelled[i] && !float.IsNaN(scores[i])).ToArray();
            if (kept.Length == 0) continue;
            counted++;
            var byScore = kept.OrderByDescending(i => scores[i]).ThenBy(i => grades[i]).ThenBy(i => i).Select(i => grades[i]).ToArray();
            var ideal = kept.Select(i => grades[i]).OrderByDescending(g => g).ToArray();
            double dcg = 0, best = 0;
            for (int k = 0; k < depth; k++)
            {
                if (k < kept.Length)
                {
                    double discount = 1 / Math.Log2(k + 2);
                    dcg += Gain(byScore[k]) * discount;
                    best += Gain(ideal[k]) * discount;
                }
                sum[k] += best > 0 ? dcg / best : 0;
            }
        }
        return counted == 0 ? null : sum.Select(s => s / counted).ToArray();
    }

    /// <summary>The number of groups with a labelled row.</summary>
    public static int LabelledGroups(IReadOnlyList<bool> labelled, IReadOnlyList<int> groups)
        => Enumerable.Range(0, groups.Count).Where(i => labelled[i]).Select(i => groups[i]).Distinct().Count();

    /// <summary>
    /// Mean over groups of Kendall's τ-b between the student's and the teacher's scores of the group's rows (labelled or
    /// not): (concordant − discordant pairs) / √((pairs − ties in student)(pairs − ties in teacher)). A group of one row, or
    /// whose scores are all equal for either model, has no τ-b and is left out. Returns the mean (null when no group
    /// counts) and the number of groups counted.
    /// </summary>
    public static (double? Mean, int Groups) KendallTauB(IReadOnlyList<float> student, IReadOnlyList<float> teacher, IReadOnlyList<int> groups)
    {
        double sum = 0;
        int counted = 0;
        foreach (var rows in Groups(groups))
        {
            long concordant = 0, discordant = 0, studentTies = 0, teacherTies = 0, pairs = 0;
            for (int a = 0; a < rows.Count; a++)
                for (int b = a + 1; b < rows.Count; b++)
                {
                    pairs++;
                    int s = Math.Sign(student[rows[a]] - student[rows[b]]), t = Math.Sign(teacher[rows[a]] - teacher[rows[b]]);
                    if (s == 0) studentTies++;
                    if (t == 0) teacherTies++;
                    if (s * t > 0) concordant++;
                    else if (s * t < 0) discordant++;
                }
            double denominator = Math.Sqrt((double)(pairs - studentTies) * (pairs - teacherTies));
            if (denominator == 0) continue;
            sum += (concordant - discordant) / denominator;
            counted++;
        }
        return (counted == 0 ? null : sum / counted, counted);
    }

    /// <summary>Throws unless every labelled grade is a whole number with a gain.</summary>
    public static void CheckGrades(IReadOnlyList<float> grades, IReadOnlyList<bool> labelled, IReadOnlyList<double> gains)
    {
        for (int i = 0; i < grades.Count; i++)
            if (labelled[i] && (grades[i] != Math.Floor(grades[i]) || grades[i] >= gains.Count))
                throw new ArgumentException($"Test row {i} has relevance grade {grades[i]}, but DistillationReportOptions.RankingLabelGains gives gains for the whole grades 0–{gains.Count - 1} " +
                    $"([{string.Join(", ", gains)}]); give one gain per grade (e.g. 2^grade − 1: [0, 1, 3, 7, 15, 31, …]) or round the grades.");
    }

    private static IEnumerable<List<int>> Groups(IReadOnlyList<int> groups)
    {
        var byGroup = new SortedDictionary<int, List<int>>();
        for (int i = 0; i < groups.Count; i++)
        {
            if (!byGroup.TryGetValue(groups[i], out var rows)) byGroup[groups[i]] = rows = [];
            rows.Add(i);
        }
        return byGroup.Values;
    }
}
