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
internal sealed partial class TrainingSet
{
    /// <summary>The stores of a set and what they hold; splits and subsets share them.</summary>
    private sealed record Stores(RowStore<float> Features, RowStore<int> Labels, RowStore<float>? Targets, RowStore<int>? Groups,
        RowStore<float>? Teacher, RowStore<float>[] Teachers, IReadOnlyDictionary<string, RowStore<float>> Extras, int Vocabulary);

    private readonly Stores _s;
    private readonly int[]? _rows;   // the stores' rows this set holds, in order; null: all of them

    private TrainingSet(Stores stores, DistillationTask task, int classCount, TeacherOutputKind teacherKind, IReadOnlyList<TeacherOutputKind> teacherKinds,
        IReadOnlyList<double> teacherWeights, int[]? teacherOrder, TargetScaling? scaling, bool hasLabels, int[]? rows)
    {
        _s = stores;
        _rows = rows;
        Task = task;
        TeacherKind = teacherKind;
        TeacherKinds = teacherKinds;
        TeacherWeights = teacherWeights;
        TeacherOrder = teacherOrder;
        Scaling = scaling;
        HasLabels = hasLabels;
        Rows = rows?.Length ?? stores.Features.Count;
        ClassCount = classCount;
    }

    public int Rows { get; }
    public int FeatureCount => _s.Features.Width;

    /// <summary>Token-id features (<see cref="Students.StudentInput.TokenIds"/>): the vocabulary, padding id 0 included; 0 for float features.</summary>
    public int VocabularySize => _s.Vocabulary;

    /// <summary>Width of the student's output: the classes K (multiclass), 1 (binary, ranking), the outputs k (regression) or the embedding's width D.</summary>
    public int ClassCount { get; }

    /// <summary>The task the rows were read for.</summary>
    public DistillationTask Task { get; }

    /// <summary>
    /// Regression: how the targets and teacher outputs were standardised (null: not at all, for a loss that predicts
    /// through a sigmoid, and for the other tasks).
    /// </summary>
    public TargetScaling? Scaling { get; }

    /// <summary>Whether the rows carry real-valued targets (<see cref="LossContext.Targets"/>): binary, regression and ranking.</summary>
    public bool HasTargets => _s.Targets is not null;

    /// <summary>The extra teacher columns read for the loss (<see cref="DistillationLoss.TeacherColumns"/>), by name, with their widths.</summary>
    public IReadOnlyDictionary<string, int> ExtraWidths => _s.Extras.ToDictionary(e => e.Key, e => e.Value.Width);

    /// <summary>Copies extra teacher column <paramref name="column"/> of the given rows into <paramref name="destination"/> [rows, D].</summary>
    public void CopyExtra(string column, ReadOnlySpan<int> rows, Span<float> destination) => Gather(_s.Extras[column], rows, destination);

    /// <summary>Whether the rows carry groups (ranking).</summary>
    public bool HasGroups => _s.Groups is not null;

    /// <summary>
    /// Whether there are teacher outputs for the validation metrics to compare with: the single teacher column, or — with
    /// several teachers kept separate (<see cref="StudentOptions.TeacherColumnNames"/>) — their weighted mean.
    /// </summary>
    public bool HasTeacher => _s.Teacher is not null;

    public TeacherOutputKind TeacherKind { get; }

    /// <summary>Number of teachers kept separate (<see cref="StudentOptions.TeacherColumnNames"/>); 0 otherwise.</summary>
    public int SeparateTeacherCount => _s.Teachers.Length;

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

    /// <summary>The 0-based class of row <paramref name="row"/> of this set (-1: missing; 0 for a labelled regression or ranking row).</summary>
    public int Label(int row) => _s.Labels[Source(row)][0];

    /// <summary>The group (query) of row <paramref name="row"/> of this set (ranking).</summary>
    public int Group(int row) => (_s.Groups ?? throw new InvalidOperationException("The rows have no groups."))[Source(row)][0];

    /// <summary>The targets of row <paramref name="row"/> of this set (binary, regression, ranking; standardised for regression).</summary>
    public ReadOnlySpan<float> TargetRow(int row) => (_s.Targets ?? throw new InvalidOperationException("The rows have no real-valued targets."))[Source(row)];

    /// <summary>Rows of this set that have a label.</summary>
    public int LabelledRows()
    {
        int n = 0;
        for (int r = 0; r < Rows; r++) if (Label(r) >= 0) n++;
        return n;
    }

    /// <summary>The teacher outputs of row <paramref name="row"/> of this set (the single teacher or the separate teachers' mean).</summary>
    public ReadOnlySpan<float> TeacherRow(int row) => (_s.Teacher ?? throw new InvalidOperationException("The training rows have no teacher column."))[Source(row)];

    /// <summary>The features of row <paramref name="row"/> of this set.</summary>
    public ReadOnlySpan<float> FeatureRow(int row) => _s.Features[Source(row)];

    /// <summary>Copies the features of the given rows of this set, one row after the other, into <paramref name="destination"/> [rows, F].</summary>
    public void CopyFeatures(ReadOnlySpan<int> rows, Span<float> destination) => Gather(_s.Features, rows, destination);

    /// <summary>Copies the teacher outputs of the given rows (the single teacher or the separate teachers' mean) into <paramref name="destination"/> [rows, K].</summary>
    public void CopyTeacher(ReadOnlySpan<int> rows, Span<float> destination)
        => Gather(_s.Teacher ?? throw new InvalidOperationException("The training rows have no teacher column."), rows, destination);

    /// <summary>Copies separate teacher <paramref name="teacher"/>'s outputs of the given rows into <paramref name="destination"/> [rows, K].</summary>
    public void CopySeparateTeacher(int teacher, ReadOnlySpan<int> rows, Span<float> destination) => Gather(_s.Teachers[teacher], rows, destination);

    /// <summary>Copies the real-valued targets of the given rows into <paramref name="destination"/> [rows, C].</summary>
    public void CopyTargets(ReadOnlySpan<int> rows, Span<float> destination)
        => Gather(_s.Targets ?? throw new InvalidOperationException("The rows have no real-valued targets."), rows, destination);

    /// <summary>Copies the 0-based class (-1: missing) of the given rows into <paramref name="destination"/>.</summary>
    public void CopyLabels(ReadOnlySpan<int> rows, Span<long> destination)
    {
        for (int i = 0; i < rows.Length; i++) destination[i] = _s.Labels[Source(rows[i])][0];
    }

    private int Source(int row) => _rows is null ? row : _rows[row];

    /// <summary>The row of the data this set was read from that row <paramref name="row"/> of this view holds (data strategies read their own columns by it).</summary>
    internal int DataRow(int row) => Source(row);

    /// <summary>Whether this set and <paramref name="other"/> are views of the same rows read from one data view (a split).</summary>
    internal bool SharesRowsWith(TrainingSet other) => ReferenceEquals(_s, other._s);

    private void Gather(RowStore<float> store, ReadOnlySpan<int> rows, Span<float> destination)
    {
        int w = store.Width;
        for (int i = 0; i < rows.Length; i++) store[Source(rows[i])].CopyTo(destination.Slice(i * w, w));
    }

    /// <summary>
    /// Reads the columns of <paramref name="data"/> into arrays for a student of <paramref name="task"/>, validating their
    /// types with clear messages; multiclass teacher columns are put into the label's key order by <paramref name="aligner"/>
    /// (none: as they are), binary teacher columns into one logit per row (<see cref="TeacherForm"/>), and regression targets
    /// and teacher outputs are standardised (<see cref="TargetScaling"/>; with <paramref name="reference"/>'s scaling for
    /// validation rows; not at all with <paramref name="rawTargets"/>). Reading reports its progress as <paramref name="stage"/>
    /// to <see cref="StudentOptions.LoadingProgress"/> and <paramref name="log"/>, and stops on <see cref="StudentOptions.CancellationToken"/>;
    /// and the extra teacher columns <paramref name="extraColumns"/> a loss reads (<see cref="DistillationLoss.TeacherColumns"/>) are read as they are.
    /// With a <paramref name="window"/> (streaming), it reads the window's next rows from the window's open cursor instead of every row.
    /// </summary>
    public static TrainingSet Load(IDataView data, StudentOptions o, DistillationTask task = DistillationTask.MulticlassClassification, TrainingSet? reference = null,
        ClassAligner? aligner = null, LoadingStage stage = LoadingStage.TrainingRows, Action<string>? log = null, bool rawTargets = false,
        IReadOnlyList<string>? extraColumns = null, RowWindow? window = null)
    {
        var schema = data.Schema;
        var feature = schema.GetColumnOrNull(o.FeatureColumnName)
            ?? throw new ArgumentException($"Student feature column '{o.FeatureColumnName}' was not found. Columns: {Columns(schema)}. Set StudentOptions.FeatureColumnName or build it with mlContext.Transforms.Concatenate(\"{o.FeatureColumnName}\", ...).");
        var tokens = o.Architecture is Students.TokenStudentArchitecture text
            ? TokenIdReader.Create(feature, text.MaxTokens, reference?.VocabularySize)
            : null;
        if (tokens is null && (feature.Type is not VectorDataViewType { ItemType: NumberDataViewType, IsKnownSize: true } fv || fv.ItemType != NumberDataViewType.Single))
            throw new ArgumentException($"Student feature column '{o.FeatureColumnName}' has type {feature.Type}; it must be a fixed-size vector of Single (float). Use mlContext.Transforms.Concatenate and Conversion.ConvertType to build it.");
        int f = tokens?.MaxTokens ?? ((VectorDataViewType)feature.Type).Size;
        if (reference is not null && reference.FeatureCount != f)
            throw new ArgumentException($"Student feature column '{o.FeatureColumnName}' has {f} values per row here but {reference.FeatureCount} in the training data.");

        bool multiclass = task == DistillationTask.MulticlassClassification;
        bool embedding = task == DistillationTask.Embedding;
        bool keyLabels = multiclass || embedding;   // class keys: the classes (multiclass), or classes beside the embedding
        var label = schema.GetColumnOrNull(o.LabelColumnName);
        int? labelWidth = null;
        if (label is { } l)
        {
            int classes = keyLabels ? KeyLabelReader.ClassCount(l) : TaskLabels.Width(task, l);
            if (!embedding) labelWidth = classes;
        }
        DataViewSchema.Column? group = null;
        if (task == DistillationTask.Ranking)
        {
            group = schema.GetColumnOrNull(o.RowGroupColumnName)
                ?? throw new ArgumentException($"Group column '{o.RowGroupColumnName}' was not found. Columns: {Columns(schema)}. A ranking student compares the rows of a query: set StudentOptions.RowGroupColumnName to the column that names each row's query.");
            GroupReader.Check(group.Value);
        }

        var teacherNames = TeacherColumns(o);
        var teachers = new List<DataViewSchema.Column>();
        var kinds = new List<TeacherOutputKind>();
        int? teacherWidth = null, rawTeacherWidth = null;
        foreach (var tn in teacherNames)
        {
            var column = schema.GetColumnOrNull(tn)
                ?? throw new ArgumentException($"Teacher column '{tn}' was not found. Columns: {Columns(schema)}. Add mlContext.Transforms.Distill(\"{tn}\", ...) before the trainer, or set StudentOptions.TeacherColumnName to null to train from scratch.");
            if (column.Type is not VectorDataViewType { IsKnownSize: true } tv || tv.ItemType != NumberDataViewType.Single)
                throw new ArgumentException($"Teacher column '{tn}' has type {column.Type}; it must be a fixed-size float vector ({TeacherShape(task)}).");
            if (rawTeacherWidth is int previous && previous != tv.Size)
                throw new ArgumentException($"Teacher column '{tn}' has {tv.Size} values per row but '{teacherNames[0]}' has {previous}. All teachers must give the same outputs, in the same order.");
            rawTeacherWidth = tv.Size;
            teacherWidth = TeacherForm.StudentWidth(task, tv.Size, tn);
            teachers.Add(column);
            kinds.Add(ReadKind(column));
        }

        int k = CheckWidths(task, o, labelWidth, teacherWidth, teacherNames);
        if (reference is not null && reference.ClassCount != k)
            throw new ArgumentException(multiclass
                ? $"The validation data has {k} classes but the training data has {reference.ClassCount}."
                : $"The validation data has {k} outputs per row but the training data has {reference.ClassCount}.");

        var extras = (extraColumns ?? []).Distinct().Select(name =>
        {
            var column = schema.GetColumnOrNull(name)
                ?? throw new ArgumentException($"Teacher column '{name}', which the loss reads, was not found. Columns: {Columns(schema)}. Write it with mlContext.Transforms.Distill (DistillOptions.OutputColumns maps a teacher output, e.g. an embedding, to a column).");
            if (column.Type is not VectorDataViewType { IsKnownSize: true } ev || ev.ItemType != NumberDataViewType.Single)
                throw new ArgumentException($"Teacher column '{name}', which the loss reads, has type {column.Type}; it must be a fixed-size float vector.");
            if (reference is not null && reference.ExtraWidths.TryGetValue(name, out int w) && w != ev.Size)
                throw new ArgumentException($"Teacher column '{name}' has {ev.Size} values per row here but {w} in the training data.");
            return column;
        }).ToArray();

        var cols = new List<DataViewSchema.Column> { feature };
        if (label is { } lcol) cols.Add(lcol);
        cols.AddRange(extras);
        if (group is { } gcol) cols.Add(gcol);
        cols.AddRange(teachers);

        long? rowCount = window is null ? data.GetRowCount() : window.Limit;
        var features = new RowStore<float>(f, rowCount);
        var labels = new RowStore<int>(1, rowCount);
        var targets = keyLabels ? null : new RowStore<float>(k, rowCount);
        var groups = group is null ? null : new RowStore<int>(1, rowCount);
        var teacherValues = teachers.Select(_ => new RowStore<float>(k, rowCount)).ToArray();
        var extraValues = extras.ToDictionary(e => e.Name, e => new RowStore<float>(((VectorDataViewType)e.Type).Size, rowCount));
        var meter = window is not null ? window.Meter : new ProgressMeter(stage, rowCount, p => { log?.Invoke(p.ToString()); o.LoadingProgress?.Invoke(p); },
            o.CancellationToken, o.LoadingProgressInterval);
        o.CancellationToken.ThrowIfCancellationRequested();
        DataViewRowCursor cursor;
        if (window is not null) cursor = window.Cursor(data, cols, o);
        else
            // A teacher pass that opening the cursor sets off (a soft-label cache being written) stops and reports with this fit.
            using (new FitObserver(o.CancellationToken, o.LoadingProgress, o.LoadingProgressInterval).Enter())
                cursor = data.GetRowCursor(cols);
        using (window is null ? cursor : null)
        {
            if (window is null) meter!.Start();
            var fGetter = tokens is null ? cursor.GetGetter<VBuffer<float>>(feature) : null;
            var tokenGetter = tokens?.Bind(cursor);
            int largestId = 0;
            int row = 0;
            var keyGetter = label is { } lc2 && keyLabels ? KeyLabelReader.Create(cursor, lc2) : null;
            var targetGetter = label is { } lc3 && !keyLabels ? TaskLabels.Create(task, cursor, lc3, () => row) : null;
            var groupReader = group is { } gc ? GroupReader.Create(cursor, gc) : null;
            var tGetters = teachers.Select(t => cursor.GetGetter<VBuffer<float>>(t)).ToArray();
            var eGetters = extras.Select(e => cursor.GetGetter<VBuffer<float>>(e)).ToArray();
            VBuffer<float> fb = default, tb = default;
            var rawTeacher = new float[rawTeacherWidth ?? 0];
            bool hasLabels = false;
            int firstRow = window?.RowsRead ?? 0, limit = window?.Limit ?? int.MaxValue;
            while (features.Count < limit && cursor.MoveNext())
            {
                row = firstRow + features.Count;
                if (tokenGetter is not null) largestId = Math.Max(largestId, tokenGetter(row, features.Append()));
                else
                {
                    fGetter!(ref fb);
                    CheckFinite(Dense(fb, features.Append()), row, $"feature column '{o.FeatureColumnName}'");
                }
                int key = keyGetter is not null ? (int)keyGetter()
                    : targetGetter is not null ? targetGetter(targets!.Append())
                    : -1;
                if (targetGetter is null && targets is not null) targets.Append().Clear();
                labels.Append()[0] = key;
                hasLabels |= key >= 0;
                if (groupReader is not null) groups!.Append()[0] = groupReader.Next(row);
                for (int i = 0; i < tGetters.Length; i++)
                {
                    tGetters[i](ref tb);
                    CheckFinite(Dense(tb, rawTeacher), row, $"teacher column '{teacherNames[i]}'");
                    TeacherForm.ToStudent(task, kinds[i], rawTeacher, teacherValues[i].Append(), row, teacherNames[i]);
                }
                for (int i = 0; i < eGetters.Length; i++)
                {
                    eGetters[i](ref tb);
                    CheckFinite(Dense(tb, extraValues[extras[i].Name].Append()), row, $"teacher column '{extras[i].Name}'");
                }
                meter?.Row();
            }
            if (window is null) meter!.Finish();
            else window.Read(features.Count);
            if (features.Count == 0 && firstRow == 0) throw new ArgumentException("The training data has no rows.");
            int vocabulary = tokens is null ? 0 : reference?.VocabularySize ?? tokens.Vocabulary(largestId);
            if (task == DistillationTask.BinaryClassification)
                for (int i = 0; i < kinds.Count; i++) kinds[i] = TeacherOutputKind.Logits;   // one logit per row now, whatever the teacher emitted
            if (aligner is not null && multiclass)
                for (int i = 0; i < teacherValues.Length; i++) aligner.Align(teachers[i], label, labels, teacherValues[i], k);

            TargetScaling? scaling = null;
            if (task == DistillationTask.Regression)
            {
                int n = features.Count;
                if (rawTargets) CheckUnitInterval(targets!, labels, teacherValues, teacherNames, o.LabelColumnName);
                else
                {
                    scaling = window is not null ? window.Scaling
                        : reference is not null ? reference.Scaling
                        : hasLabels ? TargetScaling.Of(targets!, n, r => labels[r][0] >= 0)
                        : teacherValues.Length > 0 ? TargetScaling.Of(teacherValues[0], n, _ => true)
                        : null;
                    if (scaling is not null)
                    {
                        scaling.Apply(targets!, n, r => labels[r][0] >= 0);
                        foreach (var t in teacherValues) scaling.Apply(t, n, _ => true);
                    }
                }
            }

            if (o.TeacherColumnNames is not null)
            {
                var weights = TeacherWeighting.Normalise(o.TeacherWeights, teacherValues.Length, "StudentOptions.TeacherWeights", "teacher columns");
                var (mean, meanKind) = multiclass
                    ? (ProbabilityMean(teacherValues, kinds, weights, k, rowCount), TeacherOutputKind.Probabilities)
                    : (TaskMean(task, teacherValues, weights, k, rowCount), TeacherOutputKind.Logits);
                return new TrainingSet(new Stores(features, labels, targets, groups, mean, teacherValues, extraValues, vocabulary), task, k, meanKind,
                    kinds, weights, null, scaling, hasLabels, null);
            }
            return new TrainingSet(new Stores(features, labels, targets, groups, teacherValues.FirstOrDefault(), [], extraValues, vocabulary), task, k, kinds.FirstOrDefault(), [], [],
                teachers.Count == 1 && multiclass ? aligner?.OrderOf(teachers[0].Name) : null, scaling, hasLabels, null);
        }
    }

    /// <summary>The width of the student's output, from the label's and the teacher's widths, checked against each other.</summary>
    private static int CheckWidths(DistillationTask task, StudentOptions o, int? labelWidth, int? teacherWidth, string[] teacherNames)
    {
        if (task == DistillationTask.MulticlassClassification)
        {
            if (labelWidth is int lc && teacherWidth is int tc && lc != tc)
                throw new ArgumentException($"Label column '{o.LabelColumnName}' has {lc} classes but teacher column '{teacherNames[0]}' has {tc} values per row. The teacher must score the same classes, in the same order as the label's keys.");
            int k = labelWidth ?? teacherWidth
                ?? throw new ArgumentException($"The student has neither a label column ('{o.LabelColumnName}' not found) nor a teacher column; it needs at least one to know the classes.");
            if (k < 2)
                throw new ArgumentException(labelWidth is null
                    ? $"Teacher column '{teacherNames[0]}' has {k} value per row, which a regression or single-score teacher gives; the multiclass student needs one value per class (at least two). Use mlContext.Regression.Trainers.Student or BinaryClassification.Trainers.Student for such a teacher, or map the right model output with DistillOptions.OutputColumns."
                    : $"The student needs at least two classes; label column '{o.LabelColumnName}' has {k} key value. Check the labels of the training rows.");
            return k;
        }
        if (labelWidth is int lw && teacherWidth is int tw && lw != tw)
            throw new ArgumentException(task == DistillationTask.Regression
                ? $"Label column '{o.LabelColumnName}' has {lw} value(s) per row but teacher column '{teacherNames[0]}' has {tw}. The teacher must predict the same outputs as the label, in the same order."
                : $"Teacher column '{teacherNames[0]}' has {tw} values per row; a {Describe(task)} student learns from one score per row.");
        if (task == DistillationTask.Embedding)
        {
            int d = teacherWidth ?? throw new ArgumentException("An embedding student learns a teacher's embedding: set StudentOptions.TeacherColumnName to the embedding column written by mlContext.Transforms.Distill (DistillOptions.OutputColumns maps the teacher's embedding output to a column).");
            if (d < 2) throw new ArgumentException($"Teacher column '{teacherNames[0]}' has {d} value per row; an embedding has at least two. Map the teacher's embedding output with DistillOptions.OutputColumns.");
            return d;
        }
        if (task == DistillationTask.Ranking && teacherWidth is int rw && rw != 1)
            throw new ArgumentException($"Teacher column '{teacherNames[0]}' has {rw} values per row; a ranking student learns from the teacher's one score per (query, document) row.");
        return labelWidth ?? teacherWidth
            ?? throw new ArgumentException($"The student has neither a label column ('{o.LabelColumnName}' not found) nor a teacher column; it needs at least one to learn from.");
    }

    private static string Describe(DistillationTask task) => task switch
    {
        DistillationTask.BinaryClassification => "binary",
        DistillationTask.Regression => "regression",
        DistillationTask.Ranking => "ranking",
        DistillationTask.Embedding => "embedding",
        _ => "multiclass",
    };

    private static string TeacherShape(DistillationTask task) => task switch
    {
        DistillationTask.BinaryClassification => "one logit or probability per row, or two",
        DistillationTask.Regression => "one value per output",
        DistillationTask.Ranking => "one score per row",
        DistillationTask.Embedding => "the teacher's embedding",
        _ => "one value per class",
    };

    /// <summary>Targets of a loss that predicts through a sigmoid must lie in [0, 1], as must its teacher's outputs.</summary>
    private static void CheckUnitInterval(RowStore<float> targets, RowStore<int> labels, RowStore<float>[] teachers, string[] teacherNames, string labelColumn)
    {
        for (int r = 0; r < targets.Count; r++)
        {
            if (labels[r][0] >= 0)
                foreach (var v in targets[r])
                    if (v is < 0 or > 1)
                        throw new ArgumentException($"Row {r} of label column '{labelColumn}' holds {v}; the loss predicts through a sigmoid (DistillationLoss.PredictsThroughSigmoid), so its targets must lie in [0, 1]. Rescale the label, or use a loss such as DistillationLoss.RegressionKd().");
            for (int i = 0; i < teachers.Length; i++)
                foreach (var v in teachers[i][r])
                    if (v is < 0 or > 1)
                        throw new ArgumentException($"Row {r} of teacher column '{teacherNames[i]}' holds {v}; the loss predicts through a sigmoid, so the teacher's outputs must lie in [0, 1] as well.");
        }
    }

    /// <summary>Several binary, regression or ranking teachers kept separate: their weighted mean (binary: of probabilities, back to a logit).</summary>
    private static RowStore<float> TaskMean(DistillationTask task, RowStore<float>[] teachers, double[] weights, int k, long? rowCount)
    {
        var result = new RowStore<float>(k, rowCount);
        for (int r = 0; r < teachers[0].Count; r++)
        {
            var dst = result.Append();
            for (int j = 0; j < k; j++)
            {
                double sum = 0;
                for (int i = 0; i < teachers.Length; i++)
                {
                    double v = teachers[i][r][j];
                    sum += weights[i] * (task == DistillationTask.BinaryClassification ? 1 / (1 + Math.Exp(-v)) : v);
                }
                dst[j] = task == DistillationTask.BinaryClassification
                    ? (float)(Math.Log(Math.Max(sum, 1e-7)) - Math.Log(Math.Max(1 - sum, 1e-7)))
                    : (float)sum;
            }
        }
        return result;
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

    /// <summary>
    /// Splits off a seeded random fraction of rows (views over the same stores: nothing is copied); with groups (ranking),
    /// a fraction of the groups, each whole on one side.
    /// </summary>
    public (TrainingSet Train, TrainingSet Validation) Split(double fraction, int seed)
    {
        var rng = new Random(seed);
        if (HasGroups)
        {
            var byGroup = Enumerable.Range(0, Rows).GroupBy(Group).Select(g => g.ToArray()).ToArray();
            var groupOrder = Enumerable.Range(0, byGroup.Length).OrderBy(_ => rng.Next()).ToArray();
            int nValGroups = Math.Max(1, (int)Math.Round(byGroup.Length * fraction));
            if (nValGroups >= byGroup.Length) throw new ArgumentException($"ValidationFraction {fraction} leaves no training groups ({byGroup.Length} groups in all).");
            var valRows = groupOrder.Take(nValGroups).SelectMany(g => byGroup[g]).Order().ToArray();
            var trainRows = groupOrder.Skip(nValGroups).SelectMany(g => byGroup[g]).Order().ToArray();
            return (Subset(trainRows), Subset(valRows));
        }
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
            hasLabels |= _s.Labels[sources[i]][0] >= 0;
        }
        return new TrainingSet(_s, Task, ClassCount, TeacherKind, TeacherKinds, TeacherWeights, TeacherOrder, Scaling, hasLabels, sources);
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
