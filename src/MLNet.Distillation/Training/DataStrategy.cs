using Microsoft.ML;
using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Training;

/// <summary>
/// Which training rows the student learns from, how often, and with what weight — set on
/// <see cref="StudentOptions.DataStrategy"/> and applied inside the one training loop: a subset of the training rows
/// (pruning, reference-model selection), domain sampling weights for each epoch's batches (DDK), or per-row loss weights
/// (<see cref="LossContext.RowWeights"/>, out-of-domain weighting). Multiclass students. Every fit with a strategy logs
/// what it kept and the compute it saved, and reports it in <see cref="EpochProgress.DataStrategy"/>. See
/// docs/data-strategies.md for each method, what was followed from its paper, and the measured effect.
/// </summary>
public abstract class DataStrategy
{
    private protected DataStrategy() { }

    /// <summary>A short description for logs and reports, e.g. <c>prune(0.3, TeacherEntropy, hardest)</c>.</summary>
    public abstract string Name { get; }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>
    /// Knowledge distillation on a pruned subset (Ben-Baruch et al., "Distilling the Knowledge in Data Pruning", 2024):
    /// the student trains on <paramref name="keepFraction"/> of the training rows, chosen at random or by the teacher's
    /// uncertainty, and the distillation weight rises as fewer rows are kept:
    /// <c>α(f) = 1 − f·(1 − α₁)</c> with f the kept fraction and α₁ = <paramref name="fullDataDistillationWeight"/>, in the
    /// loss <c>(1 − α)·CE + α·T²·KL</c> (<see cref="DistillationLoss.Hinton"/>).
    /// </summary>
    /// <param name="keepFraction">Share f ∈ (0, 1] of the training rows kept (at least one row).</param>
    /// <param name="criterion">How rows are ranked: at random (seeded by the fit's seed), by the teacher's entropy, or by its top-1 − top-2 margin.</param>
    /// <param name="keepHardest">
    /// For the teacher criteria: keep the rows the teacher is least sure of (highest entropy, smallest margin) — the end
    /// that score-based pruning keeps (default) — or, when false, the easiest rows.
    /// </param>
    /// <param name="fullDataDistillationWeight">
    /// α₁ ∈ [0, 1], the distillation weight at f = 1 (default 0.5); the loss is set from it, so
    /// <see cref="StudentOptions.Loss"/> must be null. Null: the KD weight is not tied and the options' loss is used
    /// (with no teacher column: random pruning of a scratch fit).
    /// </param>
    /// <param name="temperature">Distillation temperature T &gt; 0 of the tied loss (default 1).</param>
    public static DataStrategy Prune(double keepFraction, PruningCriterion criterion = PruningCriterion.Random, bool keepHardest = true,
        double? fullDataDistillationWeight = 0.5, double temperature = 1.0)
        => new DataPruning(keepFraction, criterion, keepHardest, fullDataDistillationWeight, temperature);

    /// <summary>
    /// DDK-style domain re-weighting (Liu et al., "DDK: Distilling Domain Knowledge for Efficient Large Language Models",
    /// 2024): the rows of each domain (values of <paramref name="domainColumnName"/>) are drawn for each epoch's batches with
    /// a domain weight that follows the teacher–student gap on the validation rows of that domain. After every epoch, with
    /// <c>v[i] = ℓ_S[i] / ℓ_T[i]</c> (student and teacher cross-entropy on the labelled validation rows of domain i), the
    /// weights become <c>r[i] ← s·(r[i]·e^{v[i]}) / Σⱼ r[j]·e^{v[j]} + (1 − s)/N</c>; they start uniform. An epoch draws as
    /// many rows as there are training rows (with replacement), so steps are unchanged. Needs validation rows:
    /// <c>Fit(train, validation)</c> or <see cref="StudentOptions.ValidationFraction"/>, with the domain column.
    /// </summary>
    /// <param name="domainColumnName">Column naming each row's domain: text, key, Boolean or a number (each distinct value is a domain).</param>
    /// <param name="smoothing">The share s ∈ (0, 1] of the new gap-driven weights; 1 − s is spread uniformly over the domains (default 0.5).</param>
    public static DataStrategy DomainReweighting(string domainColumnName, double smoothing = 0.5)
        => new DomainReweighting(domainColumnName, smoothing);

    /// <summary>
    /// MiniPLM-style selection (Gu et al., "MiniPLM: Knowledge Distillation for Pre-Training Language Models", 2024): each
    /// training row is scored by <c>log p_T(y | x) − log p_R(y | x)</c>, the teacher's log-likelihood of a class minus a
    /// small reference model's (column <paramref name="referenceColumnName"/>), and the rows with the largest difference are kept.
    /// </summary>
    /// <param name="referenceColumnName">
    /// The reference model's outputs, one per class in the label's key order: probabilities (e.g. the <c>Score</c> of an
    /// ML.NET multiclass trainer fitted on a small sample, renamed) or logits (e.g. a second <c>Transforms.Distill</c> column).
    /// </param>
    /// <param name="keepFraction">Share of the training rows kept, in (0, 1].</param>
    /// <param name="score">Whose class y is scored: the label (the teacher's top class on rows without one), or always the teacher's top class.</param>
    public static DataStrategy ReferenceSelection(string referenceColumnName, double keepFraction, ReferenceScore score = ReferenceScore.LabelLikelihood)
        => new ReferenceSelection(referenceColumnName, keepFraction, score);

    /// <summary>
    /// Robust weighting of out-of-domain unlabelled rows: each out-of-domain row's loss is weighted by Huber's weight
    /// <c>w = min(1, k / z)</c> of a robust z-score of the teacher's entropy on it, <c>z = (H − median) / (1.4826·MAD)</c>
    /// measured against the in-domain rows (the scale at least 1 % of ln K), so rows the teacher is as sure of as in-domain
    /// rows keep weight 1 and rows it is unsure of fade as 1/z. Out-of-domain rows are those that
    /// <paramref name="flagColumnName"/> marks true; without a column, every unlabelled row, against the labelled rows.
    /// Needs a loss that honours <see cref="LossContext.RowWeights"/> (the default, <see cref="DistillationLoss.Hinton"/>,
    /// <see cref="DistillationLoss.TeacherCorrected"/>, <see cref="DistillationLoss.CrossEntropy"/>).
    /// </summary>
    /// <param name="flagColumnName">Boolean column, true on out-of-domain rows; null: unlabelled rows are the out-of-domain ones.</param>
    /// <param name="huberK">Huber's constant k &gt; 0 (default 1.345, 95 % efficiency under normal errors).</param>
    public static DataStrategy OutOfDomainWeighting(string? flagColumnName = null, double huberK = 1.345)
        => new OutOfDomainWeighting(flagColumnName, huberK);

    /// <summary>Checks the strategy against the options (called when the trainer is created).</summary>
    internal virtual void Validate(StudentOptions o, DistillationTask task)
    {
        if (task != DistillationTask.MulticlassClassification)
            throw new ArgumentException($"StudentOptions.DataStrategy ({Name}) works with multiclass students; this is a {task} student.", nameof(StudentOptions.DataStrategy));
    }

    /// <summary>The loss the strategy trains with when <see cref="StudentOptions.Loss"/> is null; null: the trainer's default.</summary>
    internal virtual DistillationLoss? DefaultLoss(StudentOptions o) => null;

    /// <summary>
    /// Prepares one fit on the rows <paramref name="train"/> and <paramref name="validation"/> (views of the rows read from
    /// <paramref name="trainData"/>, or of <paramref name="validationData"/>): reads the strategy's own columns from those
    /// data views; the teacher does not run again, since no teacher column is read.
    /// </summary>
    internal abstract DataStrategyRun Start(StudentOptions o, IDataView trainData, IDataView? validationData, TrainingSet train, TrainingSet? validation, DistillationLoss loss);
}
