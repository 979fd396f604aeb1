namespace MLNet.Distillation.Losses;

/// <summary>
/// The prediction task a student learns; it decides the width of the student's output, what the labels and the teacher
/// column hold, and which losses apply (<see cref="DistillationLoss.Tasks"/>).
/// </summary>
public enum DistillationTask
{
    /// <summary>K classes: the student outputs K logits; labels are class indices (key-typed label column).</summary>
    MulticlassClassification,

    /// <summary>Two classes: the student outputs one logit; labels are 0/1 (Boolean label column, or Single with NaN for none).</summary>
    BinaryClassification,

    /// <summary>One or several real outputs: the student outputs k values; labels are Single or a vector of k Single values (NaN for none).</summary>
    Regression,

    /// <summary>One score per (query, document) row, compared within a group of rows (<c>GroupId</c>); labels are relevance grades.</summary>
    Ranking,

    /// <summary>
    /// A vector: the student outputs an embedding of the teacher embedding's width D and learns the teacher's embedding
    /// itself (for search, clustering, k-NN); labels, when given, are class keys for supervised embedding losses and k-NN
    /// evaluation.
    /// </summary>
    Embedding,
}
