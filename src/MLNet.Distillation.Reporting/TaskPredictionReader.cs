using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Reporting;

/// <summary>Binary predictions of both models: rows of [1 − p, p], the positive-class scores the ROC curve sorts by, and labels (0, 1; −1: none).</summary>
internal sealed record BinaryPredictions(List<float[]> Teacher, List<float[]> Student, List<double> TeacherScores, List<double> StudentScores, List<int> Labels);

/// <summary>Regression predictions of both models and the labels, k values a row; <see cref="Labelled"/> is false where the label has a NaN.</summary>
internal sealed record RegressionPredictions(List<float[]> Teacher, List<float[]> Student, List<float[]> Labels, List<bool> Labelled, int Outputs);

/// <summary>Ranking scores of both models, relevance grades (<see cref="Labelled"/> false: none) and group numbers 0 … G−1.</summary>
internal sealed record RankingPredictions(List<float> Teacher, List<float> Student, List<float> Grades, List<bool> Labelled, List<int> Groups);

/// <summary>
/// Reads the teacher's output column, the student's <c>Score</c> and the label (and the group) of a binary, regression or
/// ranking student's scored test rows, checking that the two models give comparable numbers.
/// </summary>
internal static class TaskPredictionReader
{
    /// <summary>
    /// Binary: the teacher's one logit, one probability, two logits or two probabilities (<paramref name="kind"/>) become
    /// p(positive) as the student's trainer reads them (<see cref="TeacherForm"/>); its ROC score is the logit for logit
    /// teachers and the probability for probability teachers. The student's <c>Score</c> is its logit.
    /// </summary>
    public static BinaryPredictions ReadBinary(IDataView data, string teacherColumn, TeacherOutputKind kind, string teacherName, string labelColumnName)
    {
        var teacherCol = data.Schema[teacherColumn];
        int width = Width(teacherCol);
        if (width is not (1 or 2))
            throw new ArgumentException($"The teacher '{teacherName}' gives {Describe(width)} values per row but the student is a binary classifier; the report needs one value " +
                "(a logit, or a probability) or two (the negative then the positive class).");
        var scoreCol = ScalarScore(data, "binary classifier");
        var label = data.Schema.GetColumnOrNull(labelColumnName);
        using var cursor = data.GetRowCursor(Columns(teacherCol, scoreCol, label));
        var getTeacher = cursor.GetGetter<VBuffer<float>>(teacherCol);
        var getScore = cursor.GetGetter<float>(scoreCol);
        var result = new BinaryPredictions([], [], [], [], []);
        var getLabel = LabelReader(DistillationTask.BinaryClassification, cursor, label, () => result.Labels.Count);
        VBuffer<float> t = default;
        float s = 0;
        var targets = new float[1];
        while (cursor.MoveNext())
        {
            getTeacher(ref t);
            getScore(ref s);
            var raw = t.DenseValues().ToArray();
            double p, score;
            if (kind == TeacherOutputKind.Logits)
            {
                score = raw.Length == 1 ? raw[0] : raw[1] - (double)raw[0];
                p = Sigmoid(score);
            }
            else
            {
                foreach (var v in raw)
                    if (v is < 0 or > 1)
                        throw new ArgumentException($"Row {result.Labels.Count} of the teacher '{teacherName}' holds {v}, but its output is marked as probabilities; a probability lies in [0, 1]. " +
                            "If the teacher emits logits, set DistillationReportOptions.Teacher = new DistillOptions { OutputKind = TeacherOutputKind.Logits }.");
                p = raw.Length == 1 ? raw[0] : raw[1] / ((double)raw[0] + raw[1]);
                score = p;
            }
            double q = Sigmoid(s);
            result.Teacher.Add([(float)(1 - p), (float)p]);
            result.Student.Add([(float)(1 - q), (float)q]);
            result.TeacherScores.Add(score);
            result.StudentScores.Add(s);
            result.Labels.Add(getLabel(targets));
        }
        return result;
    }

    /// <summary>Regression: the teacher must give as many values per row as the student has outputs (<paramref name="outputs"/>).</summary>
    public static RegressionPredictions ReadRegression(IDataView data, string teacherColumn, string teacherName, int outputs, string labelColumnName)
    {
        var teacherCol = data.Schema[teacherColumn];
        int width = Width(teacherCol);
        if (width != outputs)
            throw new ArgumentException($"The teacher '{teacherName}' gives {Describe(width)} values per row but the regression student has {outputs} output{(outputs == 1 ? "" : "s")}; " +
                "the report compares output i of the teacher with output i of the student. Pass the teacher the student was distilled from, or pick its output with DistillationReportOptions.Teacher.OutputColumns.");
        var scoreCol = data.Schema.GetColumnOrNull("Score")
            ?? throw new ArgumentException("The scored test data has no 'Score' column; the report reads the regression student's predictions from it.");
        var label = data.Schema.GetColumnOrNull(labelColumnName);
        if (label is { } l && TaskLabels.Width(DistillationTask.Regression, l) != outputs)
            throw new ArgumentException($"Label column '{l.Name}' has {TaskLabels.Width(DistillationTask.Regression, l)} values per row but the regression student has {outputs} output{(outputs == 1 ? "" : "s")}; " +
                "set DistillationReportOptions.LabelColumnName to the column the student was trained on.");
        using var cursor = data.GetRowCursor(Columns(teacherCol, scoreCol, label));
        var getTeacher = cursor.GetGetter<VBuffer<float>>(teacherCol);
        var getScore = FloatsGetter(cursor, scoreCol, outputs);
        var result = new RegressionPredictions([], [], [], [], outputs);
        var getLabel = LabelReader(DistillationTask.Regression, cursor, label, () => result.Labels.Count);
        VBuffer<float> t = default;
        while (cursor.MoveNext())
        {
            getTeacher(ref t);
            result.Teacher.Add(t.DenseValues().ToArray());
            result.Student.Add(getScore());
            var targets = new float[outputs];
            result.Labelled.Add(getLabel(targets) >= 0);
            result.Labels.Add(targets);
        }
        return result;
    }

    /// <summary>Ranking: one teacher score per row; the group column must be a key or integer column.</summary>
    public static RankingPredictions ReadRanking(IDataView data, string teacherColumn, string teacherName, string labelColumnName, string groupColumnName)
    {
        var teacherCol = data.Schema[teacherColumn];
        int width = Width(teacherCol);
        if (width != 1)
            throw new ArgumentException($"The teacher '{teacherName}' gives {Describe(width)} values per row but the ranking student scores each row with one value; " +
                "the report needs the teacher's score of the (query, document) row. Pick that output with DistillationReportOptions.Teacher.OutputColumns.");
        var scoreCol = ScalarScore(data, "ranking student");
        var groupCol = data.Schema.GetColumnOrNull(groupColumnName)
            ?? throw new ArgumentException($"The test data has no group column '{groupColumnName}'; a ranking report compares the rows of each group (query). " +
                "Set DistillationReportOptions.RowGroupColumnName to the column the student was trained with (StudentOptions.RowGroupColumnName).");
        var label = data.Schema.GetColumnOrNull(labelColumnName);
        using var cursor = data.GetRowCursor(Columns(teacherCol, scoreCol, label).Append(groupCol));
        var getTeacher = cursor.GetGetter<VBuffer<float>>(teacherCol);
        var getScore = cursor.GetGetter<float>(scoreCol);
        var groups = GroupReader.Create(cursor, groupCol);
        var result = new RankingPredictions([], [], [], [], []);
        var getLabel = LabelReader(DistillationTask.Ranking, cursor, label, () => result.Grades.Count);
        VBuffer<float> t = default;
        float s = 0;
        var targets = new float[1];
        while (cursor.MoveNext())
        {
            getTeacher(ref t);
            getScore(ref s);
            result.Teacher.Add(t.GetItemOrDefault(0));
            result.Student.Add(s);
            result.Groups.Add(groups.Next(result.Groups.Count));
            bool labelled = getLabel(targets) >= 0;
            if (labelled && targets[0] < 0)
                throw new ArgumentException($"Row {result.Grades.Count} of label column '{label!.Value.Name}' holds {targets[0]}; a relevance grade is 0 or more (NaN: no label).");
            result.Labelled.Add(labelled);
            result.Grades.Add(targets[0]);
        }
        return result;
    }

    /// <summary>The trainer's label reader (<see cref="TaskLabels"/>) after its type check; without a label column every row is unlabelled.</summary>
    private static Func<Span<float>, int> LabelReader(DistillationTask task, DataViewRowCursor cursor, DataViewSchema.Column? label, Func<int> row)
    {
        if (label is not { } l) return targets => { targets.Clear(); return -1; };
        TaskLabels.Width(task, l);
        return TaskLabels.Create(task, cursor, l, row);
    }

    private static DataViewSchema.Column ScalarScore(IDataView data, string what)
    {
        var score = data.Schema.GetColumnOrNull("Score")
            ?? throw new ArgumentException($"The scored test data has no 'Score' column; the report reads the {what}'s scores from it.");
        if (score.Type != NumberDataViewType.Single)
            throw new ArgumentException($"Column 'Score' has type {score.Type}; a {what} scores each row with one Single. Was the model fitted with another task's trainer?");
        return score;
    }

    private static Func<float[]> FloatsGetter(DataViewRowCursor cursor, DataViewSchema.Column column, int width)
    {
        if (column.Type is VectorDataViewType)
        {
            var g = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> v = default;
            return () => { g(ref v); var row = new float[width]; v.CopyTo(row); return row; };
        }
        var f = cursor.GetGetter<float>(column);
        float x = 0;
        return () => { f(ref x); return [x]; };
    }

    private static IEnumerable<DataViewSchema.Column> Columns(DataViewSchema.Column teacher, DataViewSchema.Column score, DataViewSchema.Column? label)
        => label is { } l ? [teacher, score, l] : [teacher, score];

    private static int Width(DataViewSchema.Column column) => column.Type is VectorDataViewType { Size: var size } ? size : 1;

    private static string Describe(int width) => width > 0 ? width.ToString(System.Globalization.CultureInfo.InvariantCulture) : "a variable number of";

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
}
