using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// What a soft-label cache was written for, as <c>key: value</c> lines: the format, the teacher model's content hash and
/// size, each input's column, type and row shape, each output's column, size and storage. Two fingerprints are compared
/// line by line so that a refusal says exactly what differs. The identity of the data is checked row by row instead
/// (<see cref="RowHasher"/>), as the rows stream.
/// </summary>
internal sealed class TeacherFingerprint
{
    public const string Format = "MLNet.Distillation soft-label cache 1";

    private TeacherFingerprint(IReadOnlyList<KeyValuePair<string, string>> entries) => Entries = entries;

    public IReadOnlyList<KeyValuePair<string, string>> Entries { get; }

    /// <summary>The entry that a shard's cache has and a whole (or merged) cache does not.</summary>
    public const string ShardKey = "shard";

    public static TeacherFingerprint Create(string modelHash, long modelBytes, InputBinding[] inputs, OutputBinding[] outputs, SoftLabelCodec[] codecs,
        SoftLabelPrecision precision, TeacherShard? shard = null)
    {
        var e = new List<KeyValuePair<string, string>>
        {
            new("format", Format),
            new("teacher model", $"xxh128 {modelHash}, {modelBytes} bytes"),
        };
        foreach (var i in inputs)
            e.Add(new($"input '{i.InputName}'", $"column '{i.ColumnName}', {i.ElementType.Name} [{string.Join(", ", i.RowShape)}] per row"));
        for (int j = 0; j < outputs.Length; j++)
            e.Add(new($"output '{outputs[j].OutputName}'", $"column '{outputs[j].ColumnName}', {outputs[j].RowSize} {codecs[j].TeacherKind} per row, " +
                $"stored as {precision}{(codecs[j].TopK is int k ? $", top {k}" : "")}"));
        if (shard is not null) e.Add(new(ShardKey, ShardText(shard)));
        return new TeacherFingerprint(e);
    }

    /// <summary>The content hash of a model file (streamed, 128-bit xxHash3), as hex.</summary>
    public static string HashFile(string path)
    {
        var hash = new XxHash128();
        using var stream = File.OpenRead(path);
        hash.Append(stream);
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    private static string ShardText(TeacherShard shard) => $"{shard} (rows whose number mod {shard.Count} is {shard.Index})";

    /// <summary>
    /// The shard this fingerprint's cache holds (null for a whole cache) and the fingerprint of the whole cache the shards
    /// merge into: the same entries without the shard's.
    /// </summary>
    public (TeacherShard? Shard, TeacherFingerprint Whole) SplitShard()
    {
        var entry = Entries.FirstOrDefault(e => e.Key == ShardKey);
        if (entry.Key is null) return (null, this);
        var text = entry.Value;
        int space = text.IndexOf(' ');
        var shard = TeacherShard.Parse(space < 0 ? text : text[..space]);
        if (ShardText(shard) != text) throw new FormatException($"the shard entry '{text}' is not one this library writes");
        return (shard, new TeacherFingerprint(Entries.Where(e => e.Key != ShardKey).ToArray()));
    }

    public override string ToString() => string.Join("\n", Entries.Select(e => $"{e.Key}: {e.Value}"));

    public static TeacherFingerprint Parse(string text)
        => new(text.Split('\n').Where(l => l.Length > 0).Select(l =>
        {
            int colon = l.IndexOf(": ", StringComparison.Ordinal);
            return colon < 0 ? new KeyValuePair<string, string>(l, "") : new(l[..colon], l[(colon + 2)..]);
        }).ToArray());

    /// <summary>The first difference between this (the cache) and <paramref name="current"/>, or null when they match.</summary>
    public string? FirstDifference(TeacherFingerprint current)
    {
        var mine = Entries.ToDictionary(e => e.Key, e => e.Value);
        var theirs = current.Entries.ToDictionary(e => e.Key, e => e.Value);
        foreach (var (key, value) in current.Entries)
            if (!mine.TryGetValue(key, out var cached)) return $"this pipeline has {key} ({value}), which the cache does not";
            else if (cached != value) return $"{key}: the cache has {cached}, this pipeline has {value}";
        foreach (var (key, value) in Entries)
            if (!theirs.ContainsKey(key)) return $"the cache has {key} ({value}), which this pipeline does not";
        return null;
    }
}

/// <summary>Hashes one row's teacher inputs (or served outputs) with 64-bit xxHash3, input by input, as raw little-endian bytes.</summary>
internal sealed class RowHasher
{
    private readonly XxHash3 _hash = new();

    public void Append(Array buffer, int start, int count)
    {
        int elementSize = Buffer.ByteLength(buffer) / Math.Max(1, buffer.Length);
        ref byte first = ref MemoryMarshal.GetArrayDataReference(buffer);
        _hash.Append(MemoryMarshal.CreateReadOnlySpan(ref System.Runtime.CompilerServices.Unsafe.Add(ref first, start * elementSize), count * elementSize));
    }

    public void Append(ReadOnlySpan<float> values) => _hash.Append(MemoryMarshal.AsBytes(values));

    /// <summary>The hash of everything appended since the last call; starts over.</summary>
    public ulong Finish()
    {
        ulong h = _hash.GetCurrentHashAsUInt64();
        _hash.Reset();
        return h;
    }
}
