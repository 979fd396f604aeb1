using System.Runtime.CompilerServices;

// Tests drive internal seams that have no public use: the TorchSharp student module (ONNX parity), TGeo-KD's bilevel
// objective, multi-sample dropout with given masks, and the training set reader.
[assembly: InternalsVisibleTo("MLNet.Distillation.Tests")]
[assembly: InternalsVisibleTo("MLNet.Distillation.Benchmarks")]
