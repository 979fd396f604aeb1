using System.Runtime.CompilerServices;

// The loss tests drive internal seams that have no public use: TGeo-KD's bilevel objective and network set-up, and
// multi-sample dropout with given masks, so that both can be checked against fixed reference numbers.
[assembly: InternalsVisibleTo("MLNet.Distillation.Tests")]
