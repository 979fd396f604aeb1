using Microsoft.ML;
using MLNet.Distillation.Teachers;

namespace MLNet.Distillation;

public static partial class DistillationCatalog
{
    /// <summary>
    /// Merges the soft-label caches of a sharded teacher pass (<see cref="DistillOptions.Shard"/>, one file per shard, from
    /// any processes or machines) into one cache in the original row order — the file an unsharded pass would have
    /// written. Read it through a <c>Distill</c> step without a shard whose <see cref="DistillOptions.CachePath"/> is
    /// <paramref name="mergedPath"/>: the teacher does not run again, and every row's inputs are checked against the data.
    /// Refuses, naming the files, a missing or repeated shard, shards of different splits, teachers or settings, and row
    /// counts that do not fit one data set. Written atomically; the teacher model is not needed.
    /// </summary>
    /// <param name="catalog">The data catalog (<c>mlContext.Data</c>).</param>
    /// <param name="shardPaths">The cache file of each shard 0..n-1, in any order.</param>
    /// <param name="mergedPath">The merged cache file to write (replaced if it exists).</param>
    /// <returns>The rows of the merged cache.</returns>
    public static long MergeSoftLabelShards(this DataOperationsCatalog catalog, IEnumerable<string> shardPaths, string mergedPath)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(shardPaths);
        ArgumentException.ThrowIfNullOrWhiteSpace(mergedPath);
        return SoftLabelShards.Merge(HostEnvironment.From(catalog), shardPaths.ToArray(), mergedPath);
    }
}
