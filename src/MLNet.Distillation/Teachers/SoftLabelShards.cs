using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// Merges the soft-label caches of a sharded teacher pass (<see cref="DistillOptions.Shard"/>) into the one cache an
/// unsharded pass writes: checks that the files are shards 0..n-1 of one teacher and settings and that their row counts
/// fit one data set, then interleaves them back into the original row order (row <c>r</c> is row <c>r / n</c> of shard
/// <c>r mod n</c>) and writes the result atomically, with the whole pass's fingerprint. Streams: one row of each shard at
/// a time. The teacher is not needed; whether the merged cache fits the data is checked row by row when it is read.
/// </summary>
internal static class SoftLabelShards
{
    public static long Merge(IHostEnvironment env, IReadOnlyList<string> shardPaths, string mergedPath)
    {
        if (shardPaths.Count == 0)
            throw new ArgumentException("MergeSoftLabelShards needs the soft-label cache file of every shard (written with DistillOptions.Shard); none was given.", nameof(shardPaths));
        var merged = Path.GetFullPath(mergedPath);
        var shards = new List<(string Path, TeacherShard Shard, TeacherFingerprint Whole, IDataView Data)>();
        var ml = env.ToMLContext();
        foreach (var given in shardPaths)
        {
            var path = Path.GetFullPath(given);
            if (path == merged)
                throw new ArgumentException($"The merged soft-label cache '{merged}' is also given as a shard; write the merge to another file.", nameof(mergedPath));
            if (!File.Exists(path))
                throw new FileNotFoundException($"Soft-label cache shard '{path}' does not exist. Run the teacher pass of that shard (DistillOptions.Shard, DistillTransformer.WriteCache) first.", path);
            IDataView data;
            try { data = ml.Data.LoadFromBinary(path); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidDataException($"Soft-label cache shard '{path}' cannot be read as an ML.NET binary data file ({e.Message}); run that shard's teacher pass again.", e);
            }
            var hash = data.Schema.GetColumnOrNull(SoftLabelCache.InputHashColumn);
            if (hash is null || hash.Value.Annotations.Schema.GetColumnOrNull(SoftLabelCache.FingerprintAnnotation) is null)
                throw new InvalidDataException($"'{path}' is not a soft-label cache written by MLNet.Distillation (it has no {SoftLabelCache.InputHashColumn} column with a fingerprint).");
            ReadOnlyMemory<char> text = default;
            hash.Value.Annotations.GetValue(SoftLabelCache.FingerprintAnnotation, ref text);
            TeacherShard? shard;
            TeacherFingerprint whole;
            try { (shard, whole) = TeacherFingerprint.Parse(text.ToString()).SplitShard(); }
            catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException)
            {
                throw new InvalidDataException($"Soft-label cache '{path}' has a damaged shard entry in its fingerprint ({e.Message}).", e);
            }
            if (shard is null)
                throw new InvalidDataException($"'{path}' is a whole soft-label cache, not a shard (it was written without DistillOptions.Shard); it can be read as it is.");
            shards.Add((path, shard, whole, data));
        }

        int count = shards[0].Shard.Count;
        var other = shards.FirstOrDefault(s => s.Shard.Count != count);
        if (other.Path is not null)
            throw new InvalidDataException($"The shards come from different splits: '{shards[0].Path}' is shard {shards[0].Shard}, '{other.Path}' is shard {other.Shard}. Give the files of one split.");
        foreach (var group in shards.GroupBy(s => s.Shard.Index).Where(g => g.Count() > 1))
            throw new ArgumentException($"Shard {group.Key}/{count} is given twice: {string.Join(", ", group.Select(s => $"'{s.Path}'"))}.", nameof(shardPaths));
        var missing = Enumerable.Range(0, count).Where(i => shards.All(s => s.Shard.Index != i)).ToArray();
        if (missing.Length > 0)
            throw new ArgumentException($"The teacher pass was split into {count} shards, but the cache of shard{(missing.Length > 1 ? "s" : "")} " +
                $"{string.Join(", ", missing.Select(i => $"{i}/{count}"))} is not given (given: {string.Join(", ", shards.Select(s => $"{s.Shard} '{s.Path}'"))}).", nameof(shardPaths));
        shards.Sort((a, b) => a.Shard.Index.CompareTo(b.Shard.Index));
        foreach (var s in shards.Skip(1))
            if (shards[0].Whole.FirstDifference(s.Whole) is { } difference)
                throw new InvalidDataException($"Shards '{shards[0].Path}' and '{s.Path}' were written for another teacher or other settings ({difference}); label every shard with the same teacher file and DistillOptions.");

        var counts = shards.Select(s => s.Data.GetRowCount() ?? throw new InvalidDataException($"Soft-label cache shard '{s.Path}' does not record its row count.")).ToArray();
        long total = counts.Sum();
        for (int i = 0; i < count; i++)
            if (counts[i] != shards[i].Shard.RowsOf(total))
                throw new InvalidDataException($"Shard {shards[i].Shard} '{shards[i].Path}' holds {counts[i]} rows, but shard {shards[i].Shard} of {total} rows has {shards[i].Shard.RowsOf(total)} " +
                    $"(shards: {string.Join(", ", shards.Select((s, j) => $"{s.Shard} '{s.Path}' {counts[j]} rows"))}). The shards were labelled from different data; " +
                    "label every shard from the same data in the same order.");

        var view = new MergedShardsView(shards.Select(s => s.Data).ToArray(), shards[0].Whole.ToString(), total);
        AtomicFile.Write(merged, stream => BinaryDataWriter.Write(env, view, stream, SoftLabelCache.RowsPerBlock(view.Schema)),
            "Give MergeSoftLabelShards a merged file in a folder this process can write to.");
        env.Info("Distill", $"Merged {count} soft-label cache shards into '{merged}': {total} rows.");
        return total;
    }

    /// <summary>The shards' rows interleaved back into input order, with the whole pass's fingerprint on the first column.</summary>
    private sealed class MergedShardsView : IDataView
    {
        private readonly IDataView[] _shards;
        private readonly long _rows;

        public MergedShardsView(IDataView[] shards, string fingerprint, long rows)
        {
            _shards = shards;
            _rows = rows;
            var builder = new DataViewSchema.Builder();
            foreach (var column in shards[0].Schema)
            {
                if (column.IsHidden) continue;
                if (column.Name == SoftLabelCache.InputHashColumn)
                {
                    var annotations = new DataViewSchema.Annotations.Builder();
                    annotations.Add(SoftLabelCache.FingerprintAnnotation, TextDataViewType.Instance,
                        (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = fingerprint.AsMemory()));
                    builder.AddColumn(column.Name, column.Type, annotations.ToAnnotations());
                }
                else builder.AddColumn(column.Name, column.Type, column.Annotations);
            }
            Schema = builder.ToSchema();
            foreach (var shard in shards)
                foreach (var column in Schema)
                    if (shard.Schema.GetColumnOrNull(column.Name) is not { } c || !c.Type.Equals(column.Type))
                        throw new InvalidDataException($"A soft-label cache shard's column '{column.Name}' is {(shard.Schema.GetColumnOrNull(column.Name)?.Type.ToString() ?? "missing")} instead of {column.Type}; the shards were not written by one teacher and settings.");
        }

        public bool CanShuffle => false;
        public DataViewSchema Schema { get; }
        public long? GetRowCount() => _rows;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
            => new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
            => [GetRowCursor(columnsNeeded, rand)];

        private sealed class Cursor : DataViewRowCursor
        {
            private readonly MergedShardsView _parent;
            private readonly HashSet<int> _active;
            private readonly DataViewRowCursor[] _cursors;
            private long _position = -1;
            private int _current = -1;

            public Cursor(MergedShardsView parent, HashSet<int> active)
            {
                _parent = parent;
                _active = active;
                _cursors = parent._shards.Select(s => s.GetRowCursor(active.Select(i => s.Schema[parent.Schema[i].Name]))).ToArray();
            }

            public override DataViewSchema Schema => _parent.Schema;
            public override long Position => _position;
            public override long Batch => 0;

            public override bool MoveNext()
            {
                int next = (int)((_position + 1) % _cursors.Length);
                if (!_cursors[next].MoveNext())
                {
                    if (_position + 1 != _parent._rows)
                        throw new InvalidDataException($"Soft-label cache shard {next} ended after {_cursors[next].Position + 1} rows, before the {_parent._rows} rows its row counts promise; it is damaged.");
                    return false;
                }
                _current = next;
                _position++;
                return true;
            }

            public override ValueGetter<DataViewRowId> GetIdGetter()
                => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

            public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                var getters = _cursors.Select(c => c.GetGetter<TValue>(c.Schema[column.Name])).ToArray();
                return (ref TValue value) => getters[_current](ref value);
            }

            protected override void Dispose(bool disposing)
            {
                if (disposing) foreach (var c in _cursors) c.Dispose();
                base.Dispose(disposing);
            }
        }
    }
}
