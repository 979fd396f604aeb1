using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Teachers;

namespace MLNet.Distillation.Training;

/// <summary>
/// The rows a student trains on, copied once into dense arrays: features [N, F], labels [N] (-1 = missing) and teacher
/// outputs [N, K]. One pass over the data means the teacher upstream runs exactly once per fit, not once per epoch.
/// </summary>
internal sealed class TrainingSet
{
    public required float[] Features { get; init; }
    public required long[] Labels { get; init; }
    /// <summary>
    /// The teacher outputs the validation metrics compare with: the single teacher column, or — with several teachers kept
    /// separate (<see cref="StudentOptions.TeacherColumnNames"/>) — their weighted probability mean.
    /// </summary>
    public float[]? Teacher { get; init; }
    public required int Rows { get; init; }
    public required int FeatureCount { get; init; }
    public required int ClassCount { get; init; }
    public TeacherOutputKind TeacherKind { get; init; }

    /// <summary>Each teacher's outputs [N, K] when several teachers are kept separate; empty otherwise.</summary>
    public IReadOnlyList<float[]> Teachers { get; init; } = [];

    /// <summary>Kind of each of <see cref="Teachers"/>.</summary>
    public IReadOnlyList<TeacherOutputKind> TeacherKinds { get; init; } = [];

    /// <summary>Weight of each of <see cref="Teachers"/>, summing to one.</summary>
    public IReadOnlyList<double> TeacherWeights { get; init; } = [];

    public bool HasLabels => Labels.Any(l => l >= 0);

    /// <summary>
    /// For each label class i, the teacher output it was read from (null: the same order); set when the class aligner
    /// reordered the teacher column, so that online teacher outputs (transfer sets) are reordered the same way.
    /// </summary>
    public int[]? TeacherOrder { get; init; }

    /// <summary>
    /// Reads the columns of <paramref name="data"/> into arrays, validating their types with clear messages; the teacher
    /// columns are put into the label's key order by <paramref name="aligner"/> (none: as they are). Reading reports its
    /// progress as <paramref name="stage"/> to <see cref="StudentOptions.LoadingProgress"/> and <paramref name="log"/>, and
    /// stops on <see cref="StudentOptions.CancellationToken"/>.
    /// </summary>
    public static TrainingSet Load(IDataView data, StudentOptions o, int? expectedClasses = null, int? expectedFeatures = null, ClassAligner? aligner = null,
        LoadingStage stage = LoadingStage.TrainingRows, Action<string>? log = null)
    {
        var schema = data.Schema;
        var feature = schema.GetColumnOrNull(o.FeatureColumnName)
            ?? throw new ArgumentException($"Student feature column '{o.FeatureColumnName}' was not found. Columns: {Columns(schema)}. Set StudentOptions.FeatureColumnName or build it with mlContext.Transforms.Concatenate(\"{o.FeatureColumnName}\", ...).");
        if (feature.Type is not VectorDataViewType { ItemType: NumberDataViewType, IsKnownSize: true } fv || fv.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"Student feature column '{o.FeatureColumnName}' has type {feature.Type}; it must be a fixed-size vector of Single (float). Use mlContext.Transforms.Concatenate and Conversion.ConvertType to build it.");
        int f = fv.Size;
        if (expectedFeatures is int ef && ef != f)
            throw new ArgumentException($"Student feature column '{o.FeatureColumnName}' has {f} values per row here but {ef} in the training data.");

        var label = schema.GetColumnOrNull(o.LabelColumnName);
        int? labelClasses = null;
        if (label is { } l) labelClasses = KeyLabelReader.ClassCount(l);

        var teacherNames = TeacherColumns(o);
        var teachers = new List<DataViewSchema.Column>();
        var kinds = new List<TeacherOutputKind>();
        int? teacherClasses = null;
        foreach (var tn in teacherNames)
        {
            var column = schema.GetColumnOrNull(tn)
                ?? throw new ArgumentException($"Teacher column '{tn}' was not found. Columns: {Columns(schema)}. Add mlContext.Transforms.Distill(\"{tn}\", ...) before the trainer, or set StudentOptions.TeacherColumnName to null to train from scratch.");
            if (column.Type is not VectorDataViewType { IsKnownSize: true } tv || tv.ItemType != NumberDataViewType.Single)
                throw new ArgumentException($"Teacher column '{tn}' has type {column.Type}; it must be a fixed-size float vector with one value per class.");
            if (teacherClasses is int previous && previous != tv.Size)
                throw new ArgumentException($"Teacher column '{tn}' has {tv.Size} values per row but '{teacherNames[0]}' has {previous}. All teachers must score the same classes, in the same order.");
            teacherClasses = tv.Size;
            teachers.Add(column);
            kinds.Add(ReadKind(column));
        }

        if (labelClasses is int lc && teacherClasses is int tc && lc != tc)
            throw new ArgumentException($"Label column '{o.LabelColumnName}' has {lc} classes but teacher column '{teacherNames[0]}' has {tc} values per row. The teacher must score the same classes, in the same order as the label's keys.");
        int k = labelClasses ?? teacherClasses
            ?? throw new ArgumentException($"The student has neither a label column ('{o.LabelColumnName}' not found) nor a teacher column; it needs at least one to know the classes.");
        if (k < 2)
            throw new ArgumentException(labelClasses is null
                ? $"Teacher column '{teacherNames[0]}' has {k} value per row, which a regression or single-score teacher gives; the multiclass student needs one value per class (at least two). Distil a classifier's logits or probabilities, or map the right model output with DistillOptions.OutputColumns."
                : $"The student needs at least two classes; label column '{o.LabelColumnName}' has {k} key value. Check the labels of the training rows.");
        if (expectedClasses is int ec && ec != k)
            throw new ArgumentException($"The validation data has {k} classes but the training data has {ec}.");

        var cols = new List<DataViewSchema.Column> { feature };
        if (label is { } lcol) cols.Add(lcol);
        cols.AddRange(teachers);

        var features = new List<float>();
        var labels = new List<long>();
        var teacherValues = teachers.Select(_ => new List<float>()).ToArray();
        var meter = new ProgressMeter(stage, data.GetRowCount(), p => { log?.Invoke(p.ToString()); o.LoadingProgress?.Invoke(p); },
            o.CancellationToken, o.LoadingProgressInterval);
        o.CancellationToken.ThrowIfCancellationRequested();
        DataViewRowCursor cursor;
        // A teacher pass that opening the cursor sets off (a soft-label cache being written) stops and reports with this fit.
        using (new FitObserver(o.CancellationToken, o.LoadingProgress, o.LoadingProgressInterval).Enter())
            cursor = data.GetRowCursor(cols);
        using (cursor)
        {
            meter.Start();
            var fGetter = cursor.GetGetter<VBuffer<float>>(feature);
            var lGetter = label is { } lc2 ? KeyLabelReader.Create(cursor, lc2) : null;
            var tGetters = teachers.Select(t => cursor.GetGetter<VBuffer<float>>(t)).ToArray();
            VBuffer<float> fb = default, tb = default;
            var row = new float[f];
            var trow = new float[k];
            while (cursor.MoveNext())
            {
                fGetter(ref fb);
                Dense(fb, row);
                features.AddRange(row);
                labels.Add(lGetter is null ? -1 : lGetter());
                for (int i = 0; i < tGetters.Length; i++)
                {
                    tGetters[i](ref tb);
                    Dense(tb, trow);
                    teacherValues[i].AddRange(trow);
                }
                meter.Row();
            }
        }
        meter.Finish();
        int n = labels.Count;
        if (n == 0) throw new ArgumentException("The training data has no rows.");
        CheckFinite(features, $"feature column '{o.FeatureColumnName}'", f);
        for (int i = 0; i < teachers.Count; i++) CheckFinite(teacherValues[i], $"teacher column '{teacherNames[i]}'", k);
        var arrays = teacherValues.Select(v => v.ToArray()).ToArray();
        var labelArray = labels.ToArray();
        if (aligner is not null)
            for (int i = 0; i < arrays.Length; i++) aligner.Align(teachers[i], label, labelArray, arrays[i], k);
        if (o.TeacherColumnNames is not null)
        {
            var weights = TeacherWeighting.Normalise(o.TeacherWeights, arrays.Length, "StudentOptions.TeacherWeights", "teacher columns");
            return new TrainingSet
            {
                Features = features.ToArray(), Labels = labelArray, Rows = n, FeatureCount = f, ClassCount = k,
                Teacher = ProbabilityMean(arrays, kinds, weights, k), TeacherKind = TeacherOutputKind.Probabilities,
                Teachers = arrays, TeacherKinds = kinds, TeacherWeights = weights,
            };
        }
        return new TrainingSet
        {
            Features = features.ToArray(), Labels = labelArray, Teacher = arrays.FirstOrDefault(),
            Rows = n, FeatureCount = f, ClassCount = k, TeacherKind = kinds.FirstOrDefault(),
            TeacherOrder = teachers.Count == 1 ? aligner?.OrderOf(teachers[0].Name) : null,
        };
    }

    /// <summary>The teacher columns the options name: <see cref="StudentOptions.TeacherColumnNames"/>, or the single one, or none.</summary>
    public static string[] TeacherColumns(StudentOptions o)
        => o.TeacherColumnNames ?? (o.TeacherColumnName is { } single ? [single] : []);

    private static float[] ProbabilityMean(float[][] teachers, IReadOnlyList<TeacherOutputKind> kinds, double[] weights, int k)
    {
        var combiner = new TeacherCombiner(kinds.ToArray(), weights, TeacherCombination.ProbabilityMean, k);
        int rows = teachers[0].Length / k;
        var result = new float[teachers[0].Length];
        var row = teachers.Select(_ => new float[k]).ToArray();
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < teachers.Length; i++) Array.Copy(teachers[i], (long)r * k, row[i], 0, k);
            combiner.Combine(row, result.AsSpan(r * k, k));
        }
        return result;
    }

    /// <summary>Splits off a seeded random fraction of rows.</summary>
    public (TrainingSet Train, TrainingSet Validation) Split(double fraction, int seed)
    {
        var rng = new Random(seed);
        var order = Enumerable.Range(0, Rows).OrderBy(_ => rng.Next()).ToArray();
        int nVal = Math.Max(1, (int)Math.Round(Rows * fraction));
        if (nVal >= Rows) throw new ArgumentException($"ValidationFraction {fraction} leaves no training rows ({Rows} rows in all).");
        return (Subset(order.Skip(nVal).OrderBy(i => i).ToArray()), Subset(order.Take(nVal).OrderBy(i => i).ToArray()));
    }

    public TrainingSet Subset(int[] rows)
    {
        var f = new float[rows.Length * FeatureCount];
        var l = new long[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            Array.Copy(Features, (long)rows[i] * FeatureCount, f, (long)i * FeatureCount, FeatureCount);
            l[i] = Labels[rows[i]];
        }
        return new TrainingSet
        {
            Features = f, Labels = l, Teacher = Teacher is null ? null : SubsetRows(Teacher, rows), Rows = rows.Length,
            FeatureCount = FeatureCount, ClassCount = ClassCount, TeacherKind = TeacherKind, TeacherOrder = TeacherOrder,
            Teachers = Teachers.Select(t => SubsetRows(t, rows)).ToArray(), TeacherKinds = TeacherKinds, TeacherWeights = TeacherWeights,
        };
    }

    private float[] SubsetRows(float[] values, int[] rows)
    {
        var result = new float[rows.Length * ClassCount];
        for (int i = 0; i < rows.Length; i++) Array.Copy(values, (long)rows[i] * ClassCount, result, (long)i * ClassCount, ClassCount);
        return result;
    }

    private static TeacherOutputKind ReadKind(DataViewSchema.Column column)
    {
        if (column.Annotations.Schema.GetColumnOrNull(DistillTransformer.OutputKindAnnotation) is { } a)
        {
            ReadOnlyMemory<char> v = default;
            column.Annotations.GetValue(a.Name, ref v);
            if (Enum.TryParse<TeacherOutputKind>(v.ToString(), out var k)) return k;
        }
        return TeacherOutputKind.Logits;
    }

    private static void Dense(in VBuffer<float> src, float[] dst)
    {
        if (src.IsDense) { src.GetValues().CopyTo(dst); return; }
        Array.Clear(dst);
        var values = src.GetValues();
        var indices = src.GetIndices();
        for (int i = 0; i < values.Length; i++) dst[indices[i]] = values[i];
    }

    private static void CheckFinite(List<float> values, string what, int width)
    {
        for (int i = 0; i < values.Count; i++)
            if (!float.IsFinite(values[i]))
                throw new ArgumentException($"Row {i / width} of the {what} holds {values[i]} at slot {i % width}; the student needs finite values. Replace missing values first (mlContext.Transforms.ReplaceMissingValues).");
    }

    private static string Columns(DataViewSchema schema) => string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name));
}
