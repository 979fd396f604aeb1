using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// The fitted <c>TokenizeForTeacher</c> step: adds the teacher's token ids and attention mask (and optionally all-zero
/// token type ids), int64 vectors of <see cref="MaxLength"/>, computed per row when read. Like the <c>Distill</c> step it
/// feeds, it is saved as an identity step: a saved model holds neither the teacher nor its inputs, and the student reads
/// its own columns.
/// </summary>
public sealed class TokenizeForTeacherTransformer : ITransformer
{
    private readonly TeacherTokenizationOptions _options;

    internal TokenizeForTeacherTransformer(TeacherTokenizationOptions options)
    {
        _options = options;
        Encoder = new TeacherTokenEncoder(options);
    }

    /// <summary>The text column read.</summary>
    public string InputColumnName => _options.InputColumnName;

    /// <summary>The token id column written.</summary>
    public string InputIdsColumnName => _options.InputIdsColumnName;

    /// <summary>The attention mask column written.</summary>
    public string AttentionMaskColumnName => _options.AttentionMaskColumnName;

    /// <summary>The all-zero token type id column written, or null.</summary>
    public string? TokenTypeIdsColumnName => _options.TokenTypeIdsColumnName;

    /// <summary>Tokens per row, special tokens included.</summary>
    public int MaxLength => _options.MaxLength;

    internal TeacherTokenEncoder Encoder { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Bind(inputSchema).Schema;

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new TokenizedTextDataView(input, Bind(input.Schema), Encoder);
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new TokenizedTextDataView.Mapper(inputSchema, Bind(inputSchema), Encoder);

    /// <summary>Saved as an identity step, like <see cref="DistillTransformer"/>: the teacher's inputs never exist in a saved model.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => ((ICanSaveModel)new TransformerChain<ITransformer>()).Save(ctx);

    internal TokenizedTextBinding Bind(DataViewSchema input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var text = input.GetColumnOrNull(_options.InputColumnName)
            ?? throw new ArgumentException($"TokenizeForTeacher: text column '{_options.InputColumnName}' was not found. Columns: {string.Join(", ", input.Where(c => !c.IsHidden).Select(c => c.Name))}. Set TeacherTokenizationOptions.InputColumnName.");
        if (text.Type != TextDataViewType.Instance)
            throw new ArgumentException($"TokenizeForTeacher: column '{_options.InputColumnName}' has type {text.Type}; it must be a scalar text column. Tokenize the raw text, before any word tokenization.");
        var outputs = new[] { _options.InputIdsColumnName, _options.AttentionMaskColumnName, _options.TokenTypeIdsColumnName }.OfType<string>().ToArray();
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        foreach (var name in outputs)
            builder.AddColumn(name, new VectorDataViewType(NumberDataViewType.Int64, _options.MaxLength));
        return new TokenizedTextBinding(builder.ToSchema(), input.Count, text.Index, outputs.Length, _options.MaxLength);
    }
}

/// <summary>What <see cref="TokenizeForTeacherTransformer"/> resolved against an input schema: the output schema, the
/// text column and the appended columns (ids, mask, then the optional token type ids).</summary>
internal sealed record TokenizedTextBinding(DataViewSchema Schema, int InputCount, int TextIndex, int Appended, int Length);
