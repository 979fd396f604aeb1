using MLNet.Distillation.Teachers;

namespace MLNet.Distillation.Reporting;

/// <summary>Options of <see cref="DistillationReport.Create(Microsoft.ML.MLContext, string, Microsoft.ML.ITransformer, Microsoft.ML.IDataView, DistillationReportOptions?)"/>.</summary>
public sealed class DistillationReportOptions
{
    /// <summary>
    /// Label column of the test data after the student model's transform (default "Label"). Multiclass: a key column in the
    /// student's class order, or text/numbers matching the student's class names. Binary: Boolean, or Single 0/1. Regression:
    /// Single, or a vector of Single for several outputs. Ranking: a Single relevance grade, or a key (key 1 = grade 0).
    /// A missing or unknown label (NaN; a vector with a NaN), or no such column at all, leaves the row out of the labelled
    /// metrics; it still counts for the comparison with the teacher.
    /// </summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>
    /// Ranking: the group (query) column of the test data after the student model's transform (default "GroupId"), a key or
    /// integer column; the rows of a group need not be contiguous. Ignored for the other tasks.
    /// </summary>
    public string RowGroupColumnName { get; set; } = "GroupId";

    /// <summary>
    /// Ranking: the gain of each relevance grade in NDCG (element g for grade g). Default: ML.NET's, 0, 3, 7, 15, 31 for
    /// grades 0–4, so that the report's NDCG is what <c>mlContext.Ranking.Evaluate</c> reports on the same scores. Use
    /// <c>[0, 1, 3, 7, 15]</c> for the 2^grade − 1 of most papers (the student's <c>ValidationNdcg</c> uses the default). Grades must
    /// be whole numbers below the number of gains.
    /// </summary>
    public IReadOnlyList<double> RankingLabelGains { get; set; } = DefaultRankingLabelGains;

    /// <summary>ML.NET's default relevance gains (<c>RankingEvaluatorOptions.LabelGains</c> "0,3,7,15,31").</summary>
    public static IReadOnlyList<double> DefaultRankingLabelGains { get; } = [0, 3, 7, 15, 31];

    /// <summary>
    /// How the teacher reads the test data, as for <c>mlContext.Transforms.Distill</c> (input columns, input shapes, output
    /// kind). <c>null</c> (default): a single-input teacher fed the student's feature column. The report uses the teacher's
    /// first output (or the first entry of <see cref="DistillOptions.OutputColumns"/>); its model path is the one passed to <c>Create</c>.
    /// </summary>
    public DistillOptions? Teacher { get; set; }

    /// <summary>Equal-width confidence bins for the reliability diagrams and the expected calibration error (default 15, as in Guo et al. 2017).</summary>
    public int CalibrationBins { get; set; } = 15;

    /// <summary>Time the teacher and the student (default true). Without it the report has no latency or throughput numbers.</summary>
    public bool MeasureLatency { get; set; } = true;

    /// <summary>Untimed single-row calls before the timed ones (default 50).</summary>
    public int WarmupCalls { get; set; } = 50;

    /// <summary>Timed single-row calls per model and runtime; the p50 and p95 come from these (default 500).</summary>
    public int LatencyCalls { get; set; } = 500;

    /// <summary>Rows per call in the throughput run (default 256).</summary>
    public int ThroughputBatchSize { get; set; } = 256;

    /// <summary>Rows scored in the throughput run per model and runtime (default 4096).</summary>
    public int ThroughputRows { get; set; } = 4096;

    /// <summary>
    /// ONNX Runtime intra-op threads of both timed sessions (default 1): per-core latency and throughput, as a server that
    /// scores concurrent requests one per core sees them, and steadier than multi-threaded single-row calls, whose time
    /// depends on how fast idle worker threads wake. <c>null</c>: ONNX Runtime's default (one per physical core), for the
    /// latency of one request on an otherwise idle machine. Timings run on the CPU.
    /// </summary>
    public int? IntraOpNumThreads { get; set; } = 1;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(LabelColumnName)) throw new ArgumentException("DistillationReportOptions.LabelColumnName must name a column (default \"Label\").");
        if (string.IsNullOrWhiteSpace(RowGroupColumnName)) throw new ArgumentException("DistillationReportOptions.RowGroupColumnName must name a column (default \"GroupId\").");
        if (RankingLabelGains is null || RankingLabelGains.Count == 0 || RankingLabelGains.Any(g => !double.IsFinite(g) || g < 0))
            throw new ArgumentException($"DistillationReportOptions.RankingLabelGains must hold one finite, non-negative gain per relevance grade (default ML.NET's 0, 3, 7, 15, 31); got [{string.Join(", ", RankingLabelGains ?? [])}].");
        if (CalibrationBins < 1) throw new ArgumentOutOfRangeException(nameof(CalibrationBins), CalibrationBins, "DistillationReportOptions.CalibrationBins must be at least 1 (typical: 10 or 15).");
        if (WarmupCalls < 0) throw new ArgumentOutOfRangeException(nameof(WarmupCalls), WarmupCalls, "DistillationReportOptions.WarmupCalls cannot be negative.");
        if (LatencyCalls < 1) throw new ArgumentOutOfRangeException(nameof(LatencyCalls), LatencyCalls, "DistillationReportOptions.LatencyCalls must be at least 1 (typical: 200–1000).");
        if (ThroughputBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(ThroughputBatchSize), ThroughputBatchSize, "DistillationReportOptions.ThroughputBatchSize must be at least 1 (typical: 64–1024).");
        if (IntraOpNumThreads is int t && t < 1) throw new ArgumentOutOfRangeException(nameof(IntraOpNumThreads), t, "DistillationReportOptions.IntraOpNumThreads must be at least 1 (or null for ONNX Runtime's default).");
        if (ThroughputRows < 1) throw new ArgumentOutOfRangeException(nameof(ThroughputRows), ThroughputRows, "DistillationReportOptions.ThroughputRows must be at least 1.");
    }
}
