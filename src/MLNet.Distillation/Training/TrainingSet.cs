using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Progress;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Teachers;

namespace MLNet.Distillation.Training;

/// <summary>
/// The rows a student trains on, read once from the data view into chunked stores (<see cref="RowStore{T}"/>): features
/// [N, F], labels [N] (-1 = missing) and teacher outputs [N, K]. One pass over the data means the teacher upstream runs
/// exactly once per fit, not once per epoch. A split or subset is a view — an array of row numbers over the same stores —
/// so that holding out validation rows copies nothing, and the training loop gathers each batch straight from the stores.
/// </summary>
internal sealed class TrainingSet
{
    private readonly RowStore<float> _features;
    private readonly RowStore<int> _labels;
    private readonly RowStore<float>? _teacher;
    private readonly RowStore<float>[] _teachers;
    private readonly int[]? _rows;   // the stores' rows this set holds, in order; null: all of them

    private TrainingSet(RowStore<float> features, RowStore<int> labels, int classCount, RowStore<float>? teacher, TeacherOutputKind teacherKind,
        RowStore<float>[] teachers, IReadOnlyList<TeacherOutputKind> teacherKinds, IReadOnlyList<double> teacherWeights, int[]? teacherOrder,
        bool hasLabels, int[]? rows)
    {
        _features = features;
        _labels = labels;
        _teacher = teacher;
        _teachers = teachers;
        _rows = rows;
        TeacherKind = teacherKind;
        TeacherKinds = teacherKinds;
        TeacherWeights = teacherWeights;
        TeacherOrder = teacherOrder;
        HasLabels = hasLabels;
        Rows = rows?.Length ?? features.Count;
        ClassCount = classCount;
    }

    public int Rows { get; }
    public int FeatureCount => _features.Width;
    public int ClassCount { get; }

    /// <summary>
    /// Whether there are teacher outputs for the validation metrics to compare with: the single teacher column, or — with
    /// several teachers kept separate (<see cref="StudentOptions.TeacherColumnNames"/>) — their weighted probability mean.
    /// </summary>
    public bool HasTeacher => _teacher is not null;

    public TeacherOutputKind TeacherKind { get; }

    /// <summary>Number of teachers kept separate (<see cref="StudentOptions.TeacherColumnNames"/>); 0 otherwise.</summary>
    public int SeparateTeacherCount => _teachers.Length;

    /// <summary>Kind of each separate teacher.</summary>
    public IReadOnlyList<TeacherOutputKind> TeacherKinds { get; }

    /// <summary>Weight of each separate teacher, summing to one.</summary>
    public IReadOnlyList<double> TeacherWeights { get; }

    /// <summary>Whether any row has a label.</summary>
    public bool HasLabels { get; }

    /// <summary>
    /// For each label class i, the teacher output it was read from (null: the same order); set when the class aligner
    /// reordered the teacher column, so that online teacher outputs (transfer sets) are reordered the same way.
    /// </summary>
    public int[]? TeacherOrder { get; }

    /// <summary>The 0-based class of row <paramref name="row"/> of this set (-1: missing).</summary>
    public int Label(int row) => _labels[Source(row)][0];

    /// <summary>Rows of this set that have a label.</summary>
    public int LabelledRows()
    {
        int n = 0;
        for (int r = 0; r < Rows; r++) if (Label(r) >= 0) n++;
        return n;
    }

    /// <summary>The teacher outputs of row <paramref name="row"/> of this set (the single teacher or the separate teachers' mean).</summary>
    public ReadOnlySpan<float> TeacherRow(int row) => (_teacher ?? throw new InvalidOperationException("The training rows have no teacher column."))[Source(row)];

    /// <summary>The features of row <paramref name="row"/> of this set.</summary>
    public ReadOnlySpan<float> FeatureRow(int row) => _features[Source(row)];

    /// <summary>Copies the features of the given rows of this set, one row after the other, into <paramref name="destination"/> [rows, F].</summary>
    public void CopyFeatures(ReadOnlySpan<int> rows, Span<float> destination) => Gather(_features, rows, destination);

    /// <summary>Copies the teacher outputs of the given rows (the single teacher or the separate teachers' mean) into <paramref name="destination"/> [rows, K].</summary>
    public void CopyTeacher(ReadOnlySpan<int> rows, Span<float> destination)
        => Gather(_teacher ?? throw new InvalidOperationException("The training rows have no teacher column."), rows, destination);

    /// <summary>Copies separate teacher <paramref name="teacher"/>'s outputs of the given rows into <paramref name="destination"/> [rows, K].</summary>
    public void CopySeparateTeacher(int teacher, ReadOnlySpan<int> rows, Span<float> destination) => Gather(_teachers[teacher], rows, destination);

    /// <summary>Copies the 0-based class (-1: missing) of the given rows into <paramref name="destination"/>.</summary>
    public void CopyLabels(ReadOnlySpan<int> rows, Span<long> destination)
    {
        for (int i = 0; i < rows.Length; i++) destination[i] = _labels[Source(rows[i])][0];
    }

    private int Source(int row) => _rows is null ? row : _rows[row];

    private void Gather(RowStore<float> store, ReadOnlySpan<int> rows, Span<float> destination)
    {
        int w = store.Width;
        for (int i = 0; i < rows.Length; i++) store[Source(rows[i])].CopyTo(destination.Slice(i * w, w));
    }

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

        long? rowCount = data.GetRowCount();
        var features = new RowStore<float>(f, rowCount);
        var labels = new RowStore<int>(1, rowCount);
        var teacherValues = teachers.Select(_ => new RowStore<float>(k, rowCount)).ToArray();
        var meter = new ProgressMeter(stage, rowCount, p => { log?.Invoke(p.ToString()); o.LoadingProgress?.Invoke(p); },
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
            bool hasLabels = false;
            while (cursor.MoveNext())
            {
                int row = features.Count;
                fGetter(ref fb);
                CheckFinite(Dense(fb, features.Append()), row, $"feature column '{o.FeatureColumnName}'");
                int key = lGetter is null ? -1 : (int)lGetter();
                labels.Append()[0] = key;
                hasLabels |= key >= 0;
                for (int i = 0; i < tGetters.Length; i++)
                {
                    tGetters[i](ref tb);
                    CheckFinite(Dense(tb, teacherValues[i].Append()), row, $"teacher column '{teacherNames[i]}'");
                }
                meter.Row();
            }
            meter.Finish();
            if (features.Count == 0) throw new ArgumentException("The training data has no rows.");
            if (aligner is not null)
                for (int i = 0; i < teacherValues.Length; i++) aligner.Align(teachers[i], label, labels, teacherValues[i], k);
            if (o.TeacherColumnNames is not null)
            {
                var weights = TeacherWeighting.Normalise(o.TeacherWeights, teacherValues.Length, "StudentOptions.TeacherWeights", "teacher columns");
                return new TrainingSet(features, labels, k, ProbabilityMean(teacherValues, kinds, weights, k, rowCount), TeacherOutputKind.Probabilities,
                    teacherValues, kinds, weights, null, hasLabels, null);
            }
            return new TrainingSet(features, labels, k, teacherValues.FirstOrDefault(), kinds.FirstOrDefault(), [], [], [],
                teachers.Count == 1 ? aligner?.OrderOf(teachers[0].Name) : null, hasLabels, null);
        }
    }

    /// <summary>The teacher columns the options name: <see cref="StudentOptions.TeacherColumnNames"/>, or the single one, or none.</summary>
    public static string[] TeacherColumns(StudentOptions o)
        => o.TeacherColumnNames ?? (o.TeacherColumnName is { } single ? [single] : []);

    private static RowStore<float> ProbabilityMean(RowStore<float>[] teachers, IReadOnlyList<TeacherOutputKind> kinds, double[] weights, int k, long? rowCount)
    {
        var combiner = new TeacherCombiner(kinds.ToArray(), weights, TeacherCombination.ProbabilityMean, k);
        var result = new RowStore<float>(k, rowCount);
        var row = teachers.Select(_ => new float[k]).ToArray();
        for (int r = 0; r < teachers[0].Count; r++)
        {
            for (int i = 0; i < teachers.Length; i++) teachers[i][r].CopyTo(row[i]);
            combiner.Combine(row, result.Append());
        }
        return result;
    }

    /// <summary>Splits off a seeded random fraction of rows (views over the same stores: nothing is copied).</summary>
    public (TrainingSet Train, TrainingSet Validation) Split(double fraction, int seed)
    {
        var rng = new Random(seed);
        var order = Enumerable.Range(0, Rows).OrderBy(_ => rng.Next()).ToArray();
        int nVal = Math.Max(1, (int)Math.Round(Rows * fraction));
        if (nVal >= Rows) throw new ArgumentException($"ValidationFraction {fraction} leaves no training rows ({Rows} rows in all).");
        var train = order.AsSpan(nVal).ToArray();
        var validation = order.AsSpan(0, nVal).ToArray();
        Array.Sort(train);
        Array.Sort(validation);
        return (Subset(train), Subset(validation));
    }

    /// <summary>The given rows of this set, in the given order, as a view over the same stores.</summary>
    public TrainingSet Subset(int[] rows)
    {
        var sources = new int[rows.Length];
        bool hasLabels = false;
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(rows), rows[i], $"The set has {Rows} rows.");
            sources[i] = Source(rows[i]);
            hasLabels |= _labels[sources[i]][0] >= 0;
        }
        return new TrainingSet(_features, _labels, ClassCount, _teacher, TeacherKind, _teachers, TeacherKinds, TeacherWeights, TeacherOrder, hasLabels, sources);
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

    /// <summary>Writes <paramref name="src"/> densely into <paramref name="dst"/> and returns it.</summary>
    private static Span<float> Dense(in VBuffer<float> src, Span<float> dst)
    {
        if (src.IsDense) { src.GetValues().CopyTo(dst); return dst; }
        dst.Clear();
        var values = src.GetValues();
        var indices = src.GetIndices();
        for (int i = 0; i < values.Length; i++) dst[indices[i]] = values[i];
        return dst;
    }

    private static void CheckFinite(ReadOnlySpan<float> values, int row, string what)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new ArgumentException($"Row {row} of the {what} holds {values[i]} at slot {i}; the student needs finite values. Replace missing values first (mlContext.Transforms.ReplaceMissingValues).");
    }

    private static string Columns(DataViewSchema schema) => string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name));
}
