using System.Globalization;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// One shard of a teacher pass split across processes or machines (<see cref="DistillOptions.Shard"/>): shard
/// <see cref="Index"/> of <see cref="Count"/> holds the rows whose 0-based row number <c>r</c> in the input satisfies
/// <c>r mod Count == Index</c>. The rule depends on the row number only — never on timing or threads — so every process
/// that reads the same data in the same order labels the same rows, and the shards are balanced to one row without
/// knowing the row count in advance. <c>mlContext.Data.MergeSoftLabelShards</c> interleaves the shards' caches back
/// into the original row order.
/// </summary>
public sealed class TeacherShard : IEquatable<TeacherShard>
{
    /// <summary>Shard <paramref name="index"/> (0-based) of <paramref name="count"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="count"/> is below 1 or <paramref name="index"/> is not in [0, count).</exception>
    public TeacherShard(int index, int count)
    {
        if (count < 1)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"A teacher shard count must be at least 1; shard {index}/{count} is not valid (use e.g. 0/2 and 1/2 for two processes).");
        if (index < 0 || index >= count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"A teacher shard index must be in 0..{count - 1} for {count} shards; shard {index}/{count} is not valid (shards are numbered from 0).");
        Index = index;
        Count = count;
    }

    /// <summary>This shard's number, 0-based.</summary>
    public int Index { get; }

    /// <summary>How many shards the pass is split into.</summary>
    public int Count { get; }

    /// <summary>Parses <c>"i/n"</c> (e.g. <c>"0/2"</c>, as a <c>--shard 0/2</c> command-line argument reads).</summary>
    /// <exception cref="FormatException">When <paramref name="text"/> is not two integers separated by '/'.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When the numbers are not a valid shard (see the constructor).</exception>
    public static TeacherShard Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            || !int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int count))
            throw new FormatException($"A teacher shard is written 'i/n' (shard i of n, numbered from 0), e.g. '0/2' and '1/2' for two processes; '{text}' is not.");
        return new TeacherShard(index, count);
    }

    /// <summary>Whether row <paramref name="row"/> (0-based, in input order) belongs to this shard.</summary>
    public bool Contains(long row) => row % Count == Index;

    /// <summary>How many of <paramref name="totalRows"/> rows this shard holds.</summary>
    public long RowsOf(long totalRows) => totalRows > Index ? (totalRows - Index - 1) / Count + 1 : 0;

    /// <summary><c>"i/n"</c>.</summary>
    public override string ToString() => $"{Index}/{Count}";

    /// <inheritdoc />
    public bool Equals(TeacherShard? other) => other is not null && other.Index == Index && other.Count == Count;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as TeacherShard);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Index, Count);
}
