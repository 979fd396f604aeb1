namespace MLNet.Distillation.Training;

/// <summary>The one-to-one assignment of rows to columns of a square count matrix with the largest total (Hungarian method, O(K³)).</summary>
internal static class Assignment
{
    /// <summary>For each row i, the column assigned to it, maximising Σᵢ counts[i][result[i]].</summary>
    public static int[] Maximise(long[][] counts, int k)
    {
        long max = counts.Max(r => r.Length == 0 ? 0 : r.Max());
        // Minimise cost = max − count with row/column potentials (Kuhn–Munkres, shortest augmenting paths).
        var u = new double[k + 1];
        var v = new double[k + 1];
        var p = new int[k + 1];     // p[j]: row matched to column j (1-based), 0 = none
        var way = new int[k + 1];
        for (int i = 1; i <= k; i++)
        {
            p[0] = i;
            int j0 = 0;
            var minv = new double[k + 1];
            var used = new bool[k + 1];
            Array.Fill(minv, double.PositiveInfinity);
            do
            {
                used[j0] = true;
                int i0 = p[j0], j1 = 0;
                double delta = double.PositiveInfinity;
                for (int j = 1; j <= k; j++)
                {
                    if (used[j]) continue;
                    double cur = (max - counts[i0 - 1][j - 1]) - u[i0] - v[j];
                    if (cur < minv[j]) { minv[j] = cur; way[j] = j0; }
                    if (minv[j] < delta) { delta = minv[j]; j1 = j; }
                }
                for (int j = 0; j <= k; j++)
                {
                    if (used[j]) { u[p[j]] += delta; v[j] -= delta; }
                    else minv[j] -= delta;
                }
                j0 = j1;
            }
            while (p[j0] != 0);
            do
            {
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            }
            while (j0 != 0);
        }
        var result = new int[k];
        for (int j = 1; j <= k; j++) result[p[j] - 1] = j - 1;
        return result;
    }
}
