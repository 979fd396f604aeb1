namespace MLNet.Distillation.Reporting;

/// <summary>How fast one model scores on one runtime: single-row latency percentiles and batch throughput.</summary>
/// <param name="Runtime">What was timed, e.g. "ONNX Runtime" (a bare <c>InferenceSession.Run</c>) or "ML.NET" (the saved model's <c>PredictionEngine</c> / <c>Transform</c>).</param>
/// <param name="P50Milliseconds">Median wall time of one single-row call, in milliseconds.</param>
/// <param name="P95Milliseconds">95th percentile (nearest rank) of one single-row call, in milliseconds.</param>
/// <param name="ThroughputRowsPerSecond">Rows scored per second when scoring <paramref name="ThroughputBatchSize"/> rows per call.</param>
/// <param name="ThroughputBatchSize">Rows per call in the throughput run: per <c>InferenceSession.Run</c>, or per <c>Transform</c> for ML.NET (which feeds ONNX Runtime one row at a time inside); 1 for a model whose batch dimension is fixed at 1.</param>
/// <param name="SingleRowCalls">Number of timed single-row calls (after the warm-up).</param>
/// <param name="ThroughputRows">Rows scored in the throughput run.</param>
/// <param name="IntraOpThreads">ONNX Runtime intra-op threads of the timed session; null for ONNX Runtime's default (and for ML.NET, which chooses its own).</param>
public sealed record LatencyStats(string Runtime, double P50Milliseconds, double P95Milliseconds, double ThroughputRowsPerSecond,
    int ThroughputBatchSize, int SingleRowCalls, int ThroughputRows, int? IntraOpThreads = null);
