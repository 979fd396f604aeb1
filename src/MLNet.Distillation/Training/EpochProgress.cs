namespace MLNet.Distillation.Training;

/// <summary>What one training epoch did: each loss term's mean, the learning rate and train/validation metrics.</summary>
public sealed record EpochProgress
{
    /// <summary>One-based epoch number.</summary>
    public int Epoch { get; init; }

    /// <summary>Planned number of epochs.</summary>
    public int TotalEpochs { get; init; }

    /// <summary>Mean of each named loss term over the epoch's steps (e.g. <c>kd</c>, <c>ce</c>).</summary>
    public IReadOnlyDictionary<string, double> LossTerms { get; init; } = new Dictionary<string, double>();

    /// <summary>Mean total loss over the epoch.</summary>
    public double Loss { get; init; }

    /// <summary>Learning rate at the end of the epoch.</summary>
    public double LearningRate { get; init; }

    /// <summary>Accuracy on the labelled training rows seen this epoch (NaN without labels).</summary>
    public double TrainAccuracy { get; init; } = double.NaN;

    /// <summary>Accuracy on labelled validation rows (NaN without them).</summary>
    public double ValidationAccuracy { get; init; } = double.NaN;

    /// <summary>Log-loss on labelled validation rows (NaN without them).</summary>
    public double ValidationLogLoss { get; init; } = double.NaN;

    /// <summary>
    /// Agreement with the teacher on validation rows (NaN without teacher or validation rows): the share of rows with the
    /// teacher's top class (classification), or of pairs in a group ordered as the teacher orders them (ranking).
    /// </summary>
    public double ValidationTeacherAgreement { get; init; } = double.NaN;

    /// <summary>Mean KL(teacher ‖ student) at T=1 on validation rows (NaN without teacher or validation rows).</summary>
    public double ValidationTeacherKl { get; init; } = double.NaN;

    /// <summary>Regression: root-mean-square error against the labels of the validation rows, in the targets' units, over all outputs (NaN otherwise).</summary>
    public double ValidationRmse { get; init; } = double.NaN;

    /// <summary>Regression: root-mean-square distance to the teacher's outputs on the validation rows, in the targets' units (NaN otherwise).</summary>
    public double ValidationTeacherRmse { get; init; } = double.NaN;

    /// <summary>Ranking: mean NDCG@10 over the validation groups whose rows all have a label, with ML.NET's default gains (0, 3, 7, 15, 31), as <c>Ranking.Evaluate</c> reports it (NaN otherwise).</summary>
    public double ValidationNdcg { get; init; } = double.NaN;

    /// <summary>Embedding: mean cosine similarity between the student's and the teacher's embedding of the validation rows (NaN otherwise).</summary>
    public double ValidationTeacherCosine { get; init; } = double.NaN;

    /// <summary>Wall time of the epoch.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>True when the teacher-hacking guard fired: the fit to the teacher improved over the window while the ground truth got worse.</summary>
    public bool TeacherHackingSuspected { get; init; }

    /// <summary>Time spent generating and teacher-labelling synthetic transfer rows this epoch (zero without a transfer set).</summary>
    public TimeSpan TeacherTime { get; init; }

    /// <summary>Time spent in student forward/backward/optimiser steps this epoch.</summary>
    public TimeSpan StudentTime { get; init; }

    /// <summary>What <see cref="StudentOptions.DataStrategy"/> kept, weighted and saved (null without a strategy).</summary>
    public DataStrategyReport? DataStrategy { get; init; }

    /// <summary>True when this epoch is the best so far on the early-stopping metric.</summary>
    public bool IsBest { get; init; }

    /// <summary>One readable line for logs.</summary>
    public override string ToString()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var parts = new List<string> { $"epoch {Epoch}/{TotalEpochs}", $"loss {Loss.ToString("F4", inv)}" };
        parts.AddRange(LossTerms.Select(t => $"{t.Key} {t.Value.ToString("F4", inv)}"));
        if (!double.IsNaN(TrainAccuracy)) parts.Add($"train acc {TrainAccuracy.ToString("P2", inv)}");
        if (!double.IsNaN(ValidationAccuracy)) parts.Add($"val acc {ValidationAccuracy.ToString("P2", inv)}");
        if (!double.IsNaN(ValidationLogLoss)) parts.Add($"val logloss {ValidationLogLoss.ToString("F4", inv)}");
        if (!double.IsNaN(ValidationRmse)) parts.Add($"val rmse {ValidationRmse.ToString("G4", inv)}");
        if (!double.IsNaN(ValidationTeacherRmse)) parts.Add($"val teacher rmse {ValidationTeacherRmse.ToString("G4", inv)}");
        if (!double.IsNaN(ValidationNdcg)) parts.Add($"val ndcg@10 {ValidationNdcg.ToString("F4", inv)}");
        if (!double.IsNaN(ValidationTeacherCosine)) parts.Add($"val cosine to teacher {ValidationTeacherCosine.ToString("F4", inv)}");
        if (!double.IsNaN(ValidationTeacherAgreement)) parts.Add($"val agreement {ValidationTeacherAgreement.ToString("P2", inv)}");
        if (TeacherTime > TimeSpan.Zero) parts.Add($"teacher {TeacherTime.TotalSeconds.ToString("F1", inv)}s / student {StudentTime.TotalSeconds.ToString("F1", inv)}s");
        if (TeacherHackingSuspected) parts.Add("teacher hacking suspected");
        parts.Add($"lr {LearningRate.ToString("G3", inv)}");
        parts.Add($"{Elapsed.TotalSeconds.ToString("F1", inv)}s");
        return string.Join(" | ", parts) + (IsBest ? " *" : "");
    }
}
