using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// Estimator behind <c>mlContext.Transforms.Text.TokenizeForTeacher(...)</c>: tokenizes a text column with the teacher's
/// own tokenizer into fixed-length int64 id and mask columns that <c>Distill</c> feeds to a transformer teacher. Nothing
/// is trained.
/// </summary>
public sealed class TokenizeForTeacherEstimator : IEstimator<TokenizeForTeacherTransformer>
{
    private readonly TeacherTokenizationOptions _options;

    internal TokenizeForTeacherEstimator(TeacherTokenizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.InputColumnName, "TeacherTokenizationOptions.InputColumnName");
        ArgumentException.ThrowIfNullOrWhiteSpace(options.InputIdsColumnName, "TeacherTokenizationOptions.InputIdsColumnName");
        ArgumentException.ThrowIfNullOrWhiteSpace(options.AttentionMaskColumnName, "TeacherTokenizationOptions.AttentionMaskColumnName");
        var outputs = new[] { options.InputIdsColumnName, options.AttentionMaskColumnName, options.TokenTypeIdsColumnName }.OfType<string>().ToArray();
        if (outputs.Distinct().Count() != outputs.Length)
            throw new ArgumentException($"TokenizeForTeacher writes the same column twice ({string.Join(", ", outputs)}); give the ids, mask and token type columns different names.", nameof(options));
        _ = new TeacherTokenEncoder(options);   // checks the tokenizer and the length now, not at Fit
        _options = new TeacherTokenizationOptions
        {
            Tokenizer = options.Tokenizer,
            InputColumnName = options.InputColumnName,
            MaxLength = options.MaxLength,
            InputIdsColumnName = options.InputIdsColumnName,
            AttentionMaskColumnName = options.AttentionMaskColumnName,
            TokenTypeIdsColumnName = options.TokenTypeIdsColumnName,
            StartTokenIds = options.StartTokenIds?.ToArray(),
            EndTokenIds = options.EndTokenIds?.ToArray(),
            PaddingTokenId = options.PaddingTokenId,
        };
    }

    /// <inheritdoc />
    public TokenizeForTeacherTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new TokenizeForTeacherTransformer(_options);
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var columns = inputSchema.ToDictionary(c => c.Name);
        if (!columns.TryGetValue(_options.InputColumnName, out var text))
            throw new ArgumentException($"TokenizeForTeacher: text column '{_options.InputColumnName}' was not found. Columns: {string.Join(", ", columns.Keys)}. Set TeacherTokenizationOptions.InputColumnName.");
        if (text.Kind != SchemaShape.Column.VectorKind.Scalar || text.ItemType != TextDataViewType.Instance)
            throw new ArgumentException($"TokenizeForTeacher: column '{_options.InputColumnName}' must be a scalar text column, not {text.ItemType} ({text.Kind}). Tokenize the raw text, before any word tokenization.");
        foreach (var name in new[] { _options.InputIdsColumnName, _options.AttentionMaskColumnName, _options.TokenTypeIdsColumnName }.OfType<string>())
            columns[name] = SchemaShapes.Column(name, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Int64, false);
        return new SchemaShape(columns.Values);
    }
}
