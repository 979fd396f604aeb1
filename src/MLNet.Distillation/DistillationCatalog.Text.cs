using Microsoft.ML;
using Microsoft.ML.Tokenizers;
using MLNet.Distillation.Teachers;

namespace MLNet.Distillation;

public static partial class DistillationCatalog
{
    /// <summary>
    /// Tokenizes a text column with a transformer teacher's own tokenizer (a <c>Microsoft.ML.Tokenizers</c>
    /// <see cref="Tokenizer"/>, e.g. <see cref="BertTokenizer"/> over the teacher's vocab.txt) into fixed-length int64
    /// <c>input_ids</c> and <c>attention_mask</c> columns, the inputs <c>mlContext.Transforms.Distill(...)</c> feeds to a
    /// teacher exported from PyTorch or Hugging Face. A <see cref="BertTokenizer"/> gets <c>[CLS] pieces [SEP]</c> and its
    /// padding id; rows longer than <paramref name="maxLength"/> are cut. Saved as an identity step, like <c>Distill</c>.
    /// </summary>
    /// <param name="catalog">The text transforms catalog (<c>mlContext.Transforms.Text</c>).</param>
    /// <param name="tokenizer">The teacher's tokenizer.</param>
    /// <param name="inputColumnName">The raw text column.</param>
    /// <param name="maxLength">Tokens per row, special tokens included (the teacher's sequence length).</param>
    /// <param name="inputIdsColumnName">Output column of the ids (default "input_ids").</param>
    /// <param name="attentionMaskColumnName">Output column of the mask (default "attention_mask").</param>
    public static TokenizeForTeacherEstimator TokenizeForTeacher(this TransformsCatalog.TextTransforms catalog, Tokenizer tokenizer,
        string inputColumnName, int maxLength, string inputIdsColumnName = "input_ids", string attentionMaskColumnName = "attention_mask")
        => catalog.TokenizeForTeacher(new TeacherTokenizationOptions
        {
            Tokenizer = tokenizer,
            InputColumnName = inputColumnName,
            MaxLength = maxLength,
            InputIdsColumnName = inputIdsColumnName,
            AttentionMaskColumnName = attentionMaskColumnName,
        });

    /// <summary>
    /// Tokenizes a text column for a transformer teacher with every setting of <see cref="TeacherTokenizationOptions"/>
    /// (special tokens, padding id, token type ids).
    /// </summary>
    /// <param name="catalog">The text transforms catalog (<c>mlContext.Transforms.Text</c>).</param>
    /// <param name="options">The tokenizer, the columns and the length.</param>
    public static TokenizeForTeacherEstimator TokenizeForTeacher(this TransformsCatalog.TextTransforms catalog, TeacherTokenizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new TokenizeForTeacherEstimator(options);
    }
}
