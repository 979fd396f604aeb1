using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Export;

namespace MLNet.Distillation.Tests.Export;

/// <summary>
/// The last step of the scoring chain: a scalar class code (one distinct float per class, NaN for "no class") becomes
/// <c>PredictedLabel</c> with the label's key values, for every key value type ML.NET labels have; any code that is no
/// class's becomes the missing key 0.
/// </summary>
public class LabelKeyValuesTests
{
    private sealed class CodeRow
    {
        public float Code { get; set; }
    }

    private sealed class KeyValueRow<T>
    {
        public T Value { get; set; } = default!;
    }

    /// <summary>A label column whose key values are <paramref name="values"/>, in that order.</summary>
    private static DataViewSchema.Column LabelWith<T>(MLContext ml, T[] values)
    {
        var keyData = ml.Data.LoadFromEnumerable(values.Select(v => new KeyValueRow<T> { Value = v }));
        var data = ml.Data.LoadFromEnumerable(values.Select(v => new KeyValueRow<T> { Value = v }));
        return ml.Transforms.Conversion.MapValueToKey("Label", "Value", keyData: keyData).Fit(data).Transform(data).Schema["Label"];
    }

    /// <summary>Decodes every class code (in reverse order), an unknown code and NaN; returns the PredictedLabel column.</summary>
    private static DataViewSchema.Column Decode(MLContext ml, LabelKeyValues labels)
    {
        int k = labels.Count;
        var codes = Enumerable.Range(0, k).Select(i => 0.5f + 3 * i).ToArray();
        var rows = codes.Reverse().Append(1000f).Append(float.NaN).Select(c => new CodeRow { Code = c }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var decoded = labels.KeyTransformer(ml, data, "Code", codes, "PredictedLabel").Transform(data);
        Assert.Equal(Enumerable.Range(1, k).Reverse().Select(key => (uint)key).Append(0u).Append(0u), TestData.ReadKeys(decoded, "PredictedLabel"));
        Assert.Equal(new KeyDataViewType(typeof(uint), k), decoded.Schema["PredictedLabel"].Type);
        return decoded.Schema["PredictedLabel"];
    }

    private static void CheckDecoding<T>(T[] values)
    {
        var ml = new MLContext(seed: 1);
        var label = LabelWith(ml, values);
        var predicted = Decode(ml, LabelKeyValues.FromColumn(label, values.Length));
        Assert.Equal(label.Annotations.Schema["KeyValues"].Type, predicted.Annotations.Schema["KeyValues"].Type);
        Assert.Equal(KeyValues(label), KeyValues(predicted));
        Assert.Equal(values.Length, KeyValues(predicted).Length);
    }

    [Fact]
    public void AKeyLabelWithoutKeyValuesDecodesToAPlainKeyAndNaNIsTheMissingKey()
    {
        var ml = new MLContext(seed: 1);
        var predicted = Decode(ml, LabelKeyValues.FromColumn(null, 4));
        Assert.Null(predicted.Annotations.Schema.GetColumnOrNull("KeyValues"));
    }

    private static string[] KeyValues(DataViewSchema.Column column)
    {
        var raw = ((VectorDataViewType)column.Annotations.Schema["KeyValues"].Type).ItemType.RawType;
        return raw == typeof(ReadOnlyMemory<char>) ? Read<ReadOnlyMemory<char>>(column) : raw == typeof(float) ? Read<float>(column)
            : raw == typeof(double) ? Read<double>(column) : raw == typeof(int) ? Read<int>(column) : raw == typeof(uint) ? Read<uint>(column)
            : raw == typeof(long) ? Read<long>(column) : raw == typeof(bool) ? Read<bool>(column) : throw new NotSupportedException(raw.Name);
    }

    private static string[] Read<T>(DataViewSchema.Column column)
    {
        VBuffer<T> values = default;
        column.GetKeyValues(ref values);
        return values.DenseValues().Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToArray();
    }

    [Fact]
    public void TextKeyValuesDecodeAndNaNIsTheMissingKey() => CheckDecoding(["b", "\0", "a"]);

    [Fact]
    public void FloatKeyValuesDecodeAndNaNIsTheMissingKey() => CheckDecoding([10f, 0f, 2.5f]);

    [Fact]
    public void DoubleKeyValuesDecodeAndNaNIsTheMissingKey() => CheckDecoding([10d, 0d, -1d]);

    [Fact]
    public void IntegerKeyValuesIncludingZeroDecodeAndNaNIsTheMissingKey() => CheckDecoding([3, 0, 1, 2]);

    [Fact]
    public void UnsignedKeyValuesIncludingZeroDecodeAndNaNIsTheMissingKey() => CheckDecoding([5u, 0u, 1u]);

    [Fact]
    public void LongKeyValuesIncludingZeroDecodeAndNaNIsTheMissingKey() => CheckDecoding([0L, 7L]);

    [Fact]
    public void BooleanKeyValuesDecodeAndNaNIsTheMissingKey() => CheckDecoding([true, false]);
}
