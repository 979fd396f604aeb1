using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Evaluation;

/// <summary>
/// Evaluates an embedding student against its teacher by what embeddings are used for: nearest-neighbour search (does the
/// student retrieve the teacher's neighbours?) and k-NN classification (is a downstream k-NN as accurate on the student's
/// embedding as on the teacher's?). Exact search by cosine similarity: O(queries × reference rows × D) time.
/// </summary>
public static class EmbeddingEvaluation
{
    /// <summary>
    /// Scores every row of <paramref name="queries"/> against the rows of <paramref name="reference"/> (both already
    /// carrying the student's and the teacher's embedding columns). When both are the same data view, a row is not its
    /// own neighbour.
    /// </summary>
    /// <param name="reference">Rows searched (e.g. the training rows, transformed by the student model and the teacher pass).</param>
    /// <param name="queries">Rows searched for (e.g. the test rows, transformed the same way).</param>
    /// <param name="studentColumn">The student's embedding column (default "Embedding").</param>
    /// <param name="teacherColumn">The teacher's embedding column.</param>
    /// <param name="labelColumn">A key-typed (or Single, NaN = none) label column for the k-NN accuracies, or null for none. A column that does not exist counts as none.</param>
    /// <param name="k">Neighbours per query (default 10).</param>
    public static EmbeddingMetrics Evaluate(IDataView reference, IDataView queries, string teacherColumn, string studentColumn = "Embedding",
        string? labelColumn = "Label", int k = 10)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(queries);
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1.");
        var (rs, rt, rl) = Read(reference, studentColumn, teacherColumn, labelColumn, "reference");
        bool same = ReferenceEquals(reference, queries);
        var (qs, qt, ql) = same ? (rs, rt, rl) : Read(queries, studentColumn, teacherColumn, labelColumn, "queries");
        if (rs.Length - (same ? 1 : 0) < k)
            throw new ArgumentException($"k = {k} neighbours, but the reference data has only {rs.Length} row(s){(same ? " besides the query itself" : "")}. Lower k or pass more reference rows.", nameof(k));
        if (rs[0].Length != qs[0].Length || rt[0].Length != qt[0].Length)
            throw new ArgumentException("The reference and query rows have embeddings of different widths; transform both with the same model.", nameof(queries));

        bool labelled = rl is not null && ql is not null;
        double cosine = 0, agreement = 0;
        long studentRight = 0, teacherRight = 0, labelledQueries = 0;
        for (int q = 0; q < qs.Length; q++)
        {
            cosine += Dot(qs[q], qt[q]);
            int? self = same ? q : null;
            var ns = Nearest(qs[q], rs, k, self);
            var nt = Nearest(qt[q], rt, k, self);
            agreement += ns.Intersect(nt).Count() / (double)k;
            if (labelled && ql![q] >= 0)
            {
                labelledQueries++;
                if (Vote(ns, rl!) == ql[q]) studentRight++;
                if (Vote(nt, rl!) == ql[q]) teacherRight++;
            }
        }
        return new EmbeddingMetrics
        {
            K = k, Queries = qs.Length, ReferenceRows = rs.Length,
            MeanCosineToTeacher = cosine / qs.Length,
            NeighbourAgreement = agreement / qs.Length,
            StudentKnnAccuracy = labelledQueries > 0 ? studentRight / (double)labelledQueries : double.NaN,
            TeacherKnnAccuracy = labelledQueries > 0 ? teacherRight / (double)labelledQueries : double.NaN,
        };
    }

    /// <summary>The k rows of <paramref name="rows"/> with the largest dot product with <paramref name="query"/> (all unit vectors: cosine), nearest first.</summary>
    private static int[] Nearest(float[] query, float[][] rows, int k, int? skip)
    {
        // A bounded min-heap of the best k (similarity, row).
        var heap = new PriorityQueue<int, double>(k + 1);
        for (int r = 0; r < rows.Length; r++)
        {
            if (r == skip) continue;
            double s = Dot(query, rows[r]);
            if (heap.Count < k) heap.Enqueue(r, s);
            else if (heap.TryPeek(out _, out var worst) && s > worst) heap.EnqueueDequeue(r, s);
        }
        var result = new int[heap.Count];
        for (int i = result.Length - 1; i >= 0; i--) result[i] = heap.Dequeue();
        return result;
    }

    /// <summary>The most frequent label among the neighbours (unlabelled ones left out); ties go to the label of the nearer neighbour.</summary>
    private static int Vote(int[] neighbours, int[] labels)
    {
        var counts = new Dictionary<int, int>();
        foreach (var n in neighbours) if (labels[n] >= 0) counts[labels[n]] = counts.GetValueOrDefault(labels[n]) + 1;
        if (counts.Count == 0) return -1;
        int best = counts.Values.Max();
        return neighbours.Select(n => labels[n]).First(l => l >= 0 && counts[l] == best);
    }

    private static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    /// <summary>Reads both embedding columns (each row scaled to unit length) and the labels (−1: none).</summary>
    private static (float[][] Student, float[][] Teacher, int[]? Labels) Read(IDataView data, string studentColumn, string teacherColumn, string? labelColumn, string what)
    {
        var student = Vector(data, studentColumn, what);
        var teacher = Vector(data, teacherColumn, what);
        int sw = ((VectorDataViewType)student.Type).Size, tw = ((VectorDataViewType)teacher.Type).Size;
        if (sw != tw)
            throw new ArgumentException($"Student column '{studentColumn}' holds {sw} values per row but teacher column '{teacherColumn}' holds {tw}; " +
                "an embedding student outputs the teacher embedding's width. Pass the student's embedding column and the teacher embedding it learned.", nameof(studentColumn));
        var label = labelColumn is null ? null : data.Schema.GetColumnOrNull(labelColumn);
        var columns = new List<DataViewSchema.Column> { student, teacher };
        if (label is { } l)
        {
            if (l.Type is not KeyDataViewType && l.Type != NumberDataViewType.Single)
                throw new ArgumentException($"Label column '{l.Name}' of the {what} has type {l.Type}; the k-NN accuracy needs a key (MapValueToKey) or Single label.", nameof(labelColumn));
            columns.Add(l);
        }
        var s = new List<float[]>();
        var t = new List<float[]>();
        var labels = label is null ? null : new List<int>();
        using var cursor = data.GetRowCursor(columns);
        var sg = cursor.GetGetter<VBuffer<float>>(student);
        var tg = cursor.GetGetter<VBuffer<float>>(teacher);
        Func<int>? lg = null;
        if (label is { } lc)
        {
            if (lc.Type is KeyDataViewType) { var key = KeyLabelReader.Create(cursor, lc); lg = () => (int)key(); }
            else { var f = cursor.GetGetter<float>(lc); float v = 0; lg = () => { f(ref v); return float.IsNaN(v) ? -1 : (int)v; }; }
        }
        VBuffer<float> sb = default, tb = default;
        while (cursor.MoveNext())
        {
            sg(ref sb);
            tg(ref tb);
            s.Add(Unit(sb.DenseValues().ToArray()));
            t.Add(Unit(tb.DenseValues().ToArray()));
            labels?.Add(lg!());
        }
        if (s.Count == 0) throw new ArgumentException($"The {what} data has no rows.");
        return (s.ToArray(), t.ToArray(), labels?.ToArray());
    }

    private static DataViewSchema.Column Vector(IDataView data, string name, string what)
    {
        var column = data.Schema.GetColumnOrNull(name)
            ?? throw new ArgumentException($"Column '{name}' was not found in the {what}. Columns: {string.Join(", ", data.Schema.Where(c => !c.IsHidden).Select(c => c.Name))}. Transform the rows with the embedding student and the teacher pass first.");
        if (column.Type is not VectorDataViewType { IsKnownSize: true } v || v.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"Column '{name}' of the {what} has type {column.Type}; an embedding is a fixed-size vector of Single.");
        return column;
    }

    private static float[] Unit(float[] v)
    {
        double n = Math.Sqrt(v.Sum(x => (double)x * x));
        if (n > 0) for (int i = 0; i < v.Length; i++) v[i] = (float)(v[i] / n);
        return v;
    }
}
