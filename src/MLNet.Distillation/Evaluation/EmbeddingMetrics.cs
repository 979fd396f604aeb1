namespace MLNet.Distillation.Evaluation;

/// <summary>How well a student's embedding stands in for its teacher's (<see cref="EmbeddingEvaluation.Evaluate"/>).</summary>
public sealed record EmbeddingMetrics
{
    /// <summary>Neighbours per query (k).</summary>
    public int K { get; init; }

    /// <summary>Query rows evaluated.</summary>
    public int Queries { get; init; }

    /// <summary>Reference rows searched.</summary>
    public int ReferenceRows { get; init; }

    /// <summary>Mean cosine similarity between the student's and the teacher's embedding of each query row.</summary>
    public double MeanCosineToTeacher { get; init; }

    /// <summary>
    /// Mean over the query rows of |N_student ∩ N_teacher| / k, where N is the set of the k reference rows nearest to the
    /// query by cosine similarity in that model's embedding: 1 when the student retrieves exactly the teacher's neighbours.
    /// </summary>
    public double NeighbourAgreement { get; init; }

    /// <summary>Accuracy of a k-NN classifier (majority of the k nearest reference rows' labels) on the student's embedding; NaN without labels.</summary>
    public double StudentKnnAccuracy { get; init; } = double.NaN;

    /// <summary>The same k-NN accuracy on the teacher's embedding, for comparison; NaN without labels.</summary>
    public double TeacherKnnAccuracy { get; init; } = double.NaN;

    /// <inheritdoc />
    public override string ToString()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        return $"{Queries} queries against {ReferenceRows} rows, k = {K}: neighbour agreement {NeighbourAgreement.ToString("P1", inv)}, " +
            $"cosine to teacher {MeanCosineToTeacher.ToString("F4", inv)}" +
            (double.IsNaN(StudentKnnAccuracy) ? "" : $", k-NN accuracy student {StudentKnnAccuracy.ToString("P2", inv)} / teacher {TeacherKnnAccuracy.ToString("P2", inv)}");
    }
}
