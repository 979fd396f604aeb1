using Microsoft.ML.Tokenizers;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// How <c>mlContext.Transforms.Text.TokenizeForTeacher(...)</c> turns a text column into a transformer teacher's inputs:
/// the tokenizer, the fixed length, the special tokens around the pieces and the output columns.
/// </summary>
/// <remarks>
/// Each row becomes <c>StartTokenIds + pieces + EndTokenIds</c>, the pieces cut to the first
/// <c>MaxLength − StartTokenIds.Length − EndTokenIds.Length</c>, then padded with <see cref="PaddingTokenId"/> to
/// <see cref="MaxLength"/>; the mask is 1 on every token that is not padding. A <see cref="BertTokenizer"/> gets BERT's
/// layout by default (<c>[CLS]</c> first, <c>[SEP]</c> last, its padding id), so that a teacher exported from Hugging Face
/// (or trained with the same vocab.txt) sees the ids it was trained on.
/// </remarks>
public sealed class TeacherTokenizationOptions
{
    /// <summary>The teacher's tokenizer (for example <c>BertTokenizer.Create("vocab.txt", ...)</c>). Required.</summary>
    public Tokenizer? Tokenizer { get; set; }

    /// <summary>Text column to tokenize (default "Text").</summary>
    public string InputColumnName { get; set; } = "Text";

    /// <summary>Tokens per row, special tokens included; every row is cut or padded to it (default 128). The teacher's
    /// sequence length is taken from this size by <c>Distill</c>.</summary>
    public int MaxLength { get; set; } = 128;

    /// <summary>Output column of the token ids, an int64 vector of <see cref="MaxLength"/> (default "input_ids").</summary>
    public string InputIdsColumnName { get; set; } = "input_ids";

    /// <summary>Output column of the attention mask, an int64 vector of <see cref="MaxLength"/>: 1 for a token, 0 for padding
    /// (default "attention_mask").</summary>
    public string AttentionMaskColumnName { get; set; } = "attention_mask";

    /// <summary>Output column of all-zero token type ids for BERT-style models that take <c>token_type_ids</c>; null
    /// (default) adds no such column.</summary>
    public string? TokenTypeIdsColumnName { get; set; }

    /// <summary>Ids put before the pieces; null (default) uses <c>[CLS]</c> for a <see cref="BertTokenizer"/> and nothing
    /// for other tokenizers.</summary>
    public int[]? StartTokenIds { get; set; }

    /// <summary>Ids put after the (cut) pieces; null (default) uses <c>[SEP]</c> for a <see cref="BertTokenizer"/> and
    /// nothing for other tokenizers.</summary>
    public int[]? EndTokenIds { get; set; }

    /// <summary>Id written after the last token; null (default) uses the <see cref="BertTokenizer"/>'s padding id, or 0.</summary>
    public int? PaddingTokenId { get; set; }
}
