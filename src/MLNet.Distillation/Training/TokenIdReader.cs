using System.Numerics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Training;

/// <summary>
/// Reads a token-id column for a text student (<see cref="Students.TokenStudentArchitecture"/>) into the float feature
/// store: each row's ids, truncated or padded with 0 to <see cref="MaxTokens"/>, stored as floats (exact, since every id
/// is below 2^24). The column is a vector — of any length, or variable-length — of keys (ML.NET's
/// <c>TokenizeIntoWords</c> + <c>MapValueToKey</c>: the raw key values 1..V−1 are the tokens and 0, the missing key, is
/// padding) or of non-negative integers (byte, short, ushort, int, uint, long, ulong, or whole floats/doubles), where 0
/// is padding as well. The vocabulary is the key type's count + 1, or the largest id of the training rows + 1; ids of
/// other rows beyond it are read as padding, which is what the exported graph does with them.
/// </summary>
internal sealed class TokenIdReader
{
    /// <summary>Ids must stay below this to be exact as floats (2^24).</summary>
    public const int MaxVocabulary = 1 << 24;

    private readonly Func<DataViewRowCursor, Func<int, Span<float>, int>> _create;

    private TokenIdReader(string column, int maxTokens, int keyVocabulary, Func<DataViewRowCursor, Func<int, Span<float>, int>> create)
    {
        Column = column;
        MaxTokens = maxTokens;
        KeyVocabulary = keyVocabulary;
        _create = create;
    }

    /// <summary>The column read.</summary>
    public string Column { get; }

    /// <summary>Ids kept per row (the feature width).</summary>
    public int MaxTokens { get; }

    /// <summary>The vocabulary a key column's type gives (key count + 1); 0 for a numeric column or a key of unknown count (the data gives it).</summary>
    public int KeyVocabulary { get; }

    /// <summary>
    /// Checks that <paramref name="column"/> holds token ids and returns a reader of them. <paramref name="vocabulary"/>
    /// is the training rows' vocabulary when reading validation rows (null for the training rows themselves).
    /// </summary>
    public static TokenIdReader Create(DataViewSchema.Column column, int maxTokens, int? vocabulary)
    {
        if (column.Type is not VectorDataViewType vector)
            throw new ArgumentException($"Student feature column '{column.Name}' has type {column.Type}; a text student reads a vector of token ids: " +
                "a key vector from mlContext.Transforms.Text.TokenizeIntoWords followed by mlContext.Transforms.Conversion.MapValueToKey, or a vector of non-negative integer ids (0 = padding).");
        var item = vector.ItemType;
        int keyVocabulary = 0;
        if (item is KeyDataViewType key && key.Count > 0)
        {
            if (key.Count >= MaxVocabulary)
                throw new ArgumentException($"Student feature column '{column.Name}' is a key vector with {key.Count:N0} key values; a text student's vocabulary must stay below {MaxVocabulary:N0} (2^24) ids. " +
                    "Cap it with MapValueToKey(maximumNumberOfKeys: ...) or count-based pruning of the tokens.");
            keyVocabulary = (int)key.Count + 1;
            if (vocabulary is int v && v != keyVocabulary)
                throw new ArgumentException($"Student feature column '{column.Name}' has {key.Count:N0} key values here but {v - 1:N0} in the training data; both must come from the same MapValueToKey transformer.");
        }
        var raw = item.RawType;
        Func<DataViewRowCursor, Func<int, Span<float>, int>>? create =
            raw == typeof(uint) ? c => Make<uint>(c, column, maxTokens, vocabulary) :
            raw == typeof(int) ? c => Make<int>(c, column, maxTokens, vocabulary) :
            raw == typeof(long) ? c => Make<long>(c, column, maxTokens, vocabulary) :
            raw == typeof(ulong) ? c => Make<ulong>(c, column, maxTokens, vocabulary) :
            raw == typeof(float) ? c => Make<float>(c, column, maxTokens, vocabulary) :
            raw == typeof(double) ? c => Make<double>(c, column, maxTokens, vocabulary) :
            raw == typeof(byte) ? c => Make<byte>(c, column, maxTokens, vocabulary) :
            raw == typeof(ushort) ? c => Make<ushort>(c, column, maxTokens, vocabulary) :
            raw == typeof(short) ? c => Make<short>(c, column, maxTokens, vocabulary) :
            null;
        if (create is null)
            throw new ArgumentException($"Student feature column '{column.Name}' is a vector of {item}; a text student reads token ids as keys or as integers " +
                "(byte, short, ushort, int, uint, long, ulong, or whole float/double values). Map words to ids with mlContext.Transforms.Conversion.MapValueToKey, or convert the column with Conversion.ConvertType.");
        return new TokenIdReader(column.Name, maxTokens, keyVocabulary, create);
    }

    /// <summary>
    /// The network with its token-id body's ids named by the key values of <paramref name="column"/> (a text key column,
    /// as MapValueToKey makes it), so that the standalone ONNX records the vocabulary; the network as it is otherwise.
    /// </summary>
    public static Students.StudentNetwork WithVocabulary(Students.StudentNetwork network, DataViewSchema.Column column)
    {
        if (network.Body is not Students.ITokenIdBody tokens || column.Type is not VectorDataViewType { ItemType: KeyDataViewType }
            || column.Annotations.Schema.GetColumnOrNull("KeyValues") is not { Type: VectorDataViewType { ItemType: TextDataViewType } values }
            || values.Size != tokens.VocabularySize - 1)
            return network;
        VBuffer<ReadOnlyMemory<char>> words = default;
        column.GetKeyValues(ref words);
        return new Students.StudentNetwork(network.InputSize, network.Layers, network.Activation, network.FeatureMean, network.FeatureScale, network.Task,
            network.OutputsThroughSigmoid, tokens.WithVocabulary(words.DenseValues().Select(w => w.ToString()).ToArray()));
    }

    /// <summary>The schema-shape check of <see cref="Create"/>, for the trainer's <c>GetOutputSchema</c>.</summary>
    public static void CheckShape(string name, SchemaShape.Column? column, IEnumerable<string> columns)
    {
        if (column is not { } c)
            throw new ArgumentException($"Student feature column '{name}' was not found. Columns: {string.Join(", ", columns)}. A text student reads token ids: build them with mlContext.Transforms.Text.TokenizeIntoWords and Conversion.MapValueToKey(\"{name}\", ...).");
        if (c.Kind == SchemaShape.Column.VectorKind.Scalar || !(c.ItemType is KeyDataViewType || ReadableIds.Contains(c.ItemType.RawType)))
            throw new ArgumentException($"Student feature column '{name}' is a {(c.Kind == SchemaShape.Column.VectorKind.Scalar ? "scalar" : "vector")} of {c.ItemType}; a text student reads a vector of token ids: keys (TokenizeIntoWords + MapValueToKey) or integers.");
    }

    private static readonly HashSet<Type> ReadableIds = [typeof(uint), typeof(int), typeof(long), typeof(ulong), typeof(float), typeof(double), typeof(byte), typeof(ushort), typeof(short)];

    /// <summary>
    /// A reader of the cursor's current row: writes its <see cref="MaxTokens"/> ids into the span (row number for messages)
    /// and returns the largest id it read.
    /// </summary>
    public Func<int, Span<float>, int> Bind(DataViewRowCursor cursor) => _create(cursor);

    /// <summary>The vocabulary of the training rows: the key type's, or the largest id read + 1 (at least 2: padding and one token).</summary>
    public int Vocabulary(int largestId) => KeyVocabulary > 0 ? KeyVocabulary : Math.Max(2, largestId + 1);

    private static Func<int, Span<float>, int> Make<T>(DataViewRowCursor cursor, DataViewSchema.Column column, int maxTokens, int? vocabulary)
        where T : unmanaged, INumber<T>
    {
        var getter = cursor.GetGetter<VBuffer<T>>(column);
        VBuffer<T> buffer = default;
        return (row, destination) =>
        {
            getter(ref buffer);
            destination.Clear();
            var values = buffer.GetValues();
            var indices = buffer.IsDense ? default : buffer.GetIndices();
            int largest = 0;
            for (int i = 0; i < values.Length; i++)
            {
                int slot = buffer.IsDense ? i : indices[i];
                if (slot >= maxTokens) break;
                double id = double.CreateTruncating(values[i]);
                if (!(id >= 0) || id != Math.Floor(id))
                    throw new ArgumentException($"Row {row} of student feature column '{column.Name}' holds {values[i]} at slot {slot}; token ids are whole numbers ≥ 0 (0 = padding).");
                if (id >= MaxVocabulary)
                    throw new ArgumentException($"Row {row} of student feature column '{column.Name}' holds token id {values[i]} at slot {slot}; a text student's ids must stay below {MaxVocabulary:N0} (2^24), which floats hold exactly. Renumber the vocabulary (MapValueToKey) or cap it.");
                int value = (int)id;
                if (vocabulary is int v && value >= v) value = 0;   // unseen in training: padding, as the exported graph reads it
                destination[slot] = value;
                if (value > largest) largest = value;
            }
            return largest;
        };
    }
}
