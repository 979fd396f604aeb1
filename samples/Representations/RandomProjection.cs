namespace MLNet.Distillation.Samples.Representations;

/// <summary>
/// The training-free baseline of an embedding student: the features standardised with the training rows' mean and
/// population sd, times a seeded Gaussian matrix [F, D] (Johnson–Lindenstrauss: it keeps the standardised features'
/// angles, so its neighbours are the raw features' neighbours, in the teacher's width D). What any student must beat to
/// have learned something from the teacher.
/// </summary>
static class RandomProjection
{
    /// <summary>Projects <paramref name="rows"/> with the statistics of <paramref name="train"/> and a matrix drawn from <paramref name="seed"/>.</summary>
    public static (float[][] Train, float[][] Rows) Apply(float[][] train, float[][] rows, int width, int seed)
    {
        int f = train[0].Length;
        var mean = new double[f];
        var sd = new double[f];
        foreach (var r in train) for (int j = 0; j < f; j++) mean[j] += r[j];
        for (int j = 0; j < f; j++) mean[j] /= train.Length;
        foreach (var r in train) for (int j = 0; j < f; j++) sd[j] += (r[j] - mean[j]) * (r[j] - mean[j]);
        for (int j = 0; j < f; j++) { sd[j] = Math.Sqrt(sd[j] / train.Length); if (sd[j] == 0) sd[j] = 1; }
        var random = new Random(seed);
        var matrix = new double[f, width];
        for (int j = 0; j < f; j++)
            for (int k = 0; k < width; k++)
            {
                // Box–Muller
                double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
                matrix[j, k] = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            }
        float[][] Project(float[][] x) => x.Select(r =>
        {
            var z = new double[f];
            for (int j = 0; j < f; j++) z[j] = (r[j] - mean[j]) / sd[j];
            var e = new float[width];
            for (int k = 0; k < width; k++)
            {
                double s = 0;
                for (int j = 0; j < f; j++) s += z[j] * matrix[j, k];
                e[k] = (float)s;
            }
            return e;
        }).ToArray();
        return (Project(train), Project(rows));
    }
}
