using System.Runtime.CompilerServices;

// Tests drive internal seams that have no public use: the TorchSharp student module (ONNX parity), TGeo-KD's bilevel
// objective, multi-sample dropout with given masks, and the training set reader.
[assembly: InternalsVisibleTo("MLNet.Distillation.Tests")]
// The report (its own package, so that ScottPlot stays out of the core) writes its files with AtomicFile and copies the
// teacher's DistillOptions (Clone), and times a text student's graph on token ids read as training reads them (TokenIdReader).
[assembly: InternalsVisibleTo("MLNet.Distillation.Reporting")]
[assembly: InternalsVisibleTo("MLNet.Distillation.Benchmarks")]
// The Parquet package writes its files with AtomicFile.
[assembly: InternalsVisibleTo("MLNet.Distillation.Parquet")]
