using Microsoft.ML.Tokenizers;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// Turns one text into fixed-length teacher ids and mask, as described by <see cref="TeacherTokenizationOptions"/>:
/// the tokenizer's pieces (without its own special tokens), cut, wrapped in the start and end ids, padded.
/// </summary>
internal sealed class TeacherTokenEncoder
{
    private readonly Tokenizer _tokenizer;
    private readonly int[] _start;
    private readonly int[] _end;
    private readonly int _padding;

    public TeacherTokenEncoder(TeacherTokenizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _tokenizer = options.Tokenizer
            ?? throw new ArgumentException("TeacherTokenizationOptions.Tokenizer is null. Set it to the teacher's tokenizer, e.g. BertTokenizer.Create(\"vocab.txt\").", nameof(options));
        var bert = _tokenizer as BertTokenizer;
        _start = options.StartTokenIds ?? (bert is null ? [] : [bert.ClassificationTokenId]);
        _end = options.EndTokenIds ?? (bert is null ? [] : [bert.SeparatorTokenId]);
        _padding = options.PaddingTokenId ?? bert?.PaddingTokenId ?? 0;
        MaxLength = options.MaxLength;
        if (MaxLength <= _start.Length + _end.Length)
            throw new ArgumentException($"TeacherTokenizationOptions.MaxLength is {MaxLength} but the start and end tokens alone take {_start.Length + _end.Length}; give a MaxLength above {_start.Length + _end.Length} (the teacher's sequence length, e.g. 128).", nameof(options));
    }

    public int MaxLength { get; }

    /// <summary>Writes the ids and the mask of <paramref name="text"/> (each <see cref="MaxLength"/> long).</summary>
    public void Encode(ReadOnlySpan<char> text, Span<long> ids, Span<long> mask)
    {
        var pieces = _tokenizer is BertTokenizer bert
            ? bert.EncodeToIds(text, addSpecialTokens: false)
            : _tokenizer.EncodeToIds(text);
        int room = MaxLength - _start.Length - _end.Length;
        int kept = Math.Min(room, pieces.Count);
        int n = 0;
        foreach (var id in _start) ids[n++] = id;
        for (int i = 0; i < kept; i++) ids[n++] = pieces[i];
        foreach (var id in _end) ids[n++] = id;
        mask[..n].Fill(1);
        mask[n..].Fill(0);
        ids[n..].Fill(_padding);
    }
}
