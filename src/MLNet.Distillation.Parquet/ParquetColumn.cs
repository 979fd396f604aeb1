using Microsoft.ML;
using Microsoft.ML.Data;
using ParquetField = Parquet.Schema.DataField;

namespace MLNet.Distillation.Parquet;

/// <summary>What a column holds, as read from and written to Parquet.</summary>
internal enum ParquetColumnKind
{
    Single,
    Double,
    Int32,
    Int64,
    Boolean,
    Text,
    SingleVector,
    DoubleVector,
}

/// <summary>
/// One column of a Parquet data view: its name, the Parquet leaf that holds its values (a list's element for a vector),
/// what it is in ML.NET, and for vectors the fixed size every row must have.
/// </summary>
internal sealed class ParquetColumn(string name, ParquetField leaf, ParquetColumnKind kind, int vectorSize)
{
    public string Name => name;
    public ParquetField Leaf => leaf;
    public ParquetColumnKind Kind => kind;

    /// <summary>Values per row of a vector column; 1 for a scalar.</summary>
    public int VectorSize => vectorSize;

    public bool IsVector => kind is ParquetColumnKind.SingleVector or ParquetColumnKind.DoubleVector;

    public DataViewType Type => kind switch
    {
        ParquetColumnKind.Single => NumberDataViewType.Single,
        ParquetColumnKind.Double => NumberDataViewType.Double,
        ParquetColumnKind.Int32 => NumberDataViewType.Int32,
        ParquetColumnKind.Int64 => NumberDataViewType.Int64,
        ParquetColumnKind.Boolean => BooleanDataViewType.Instance,
        ParquetColumnKind.Text => TextDataViewType.Instance,
        ParquetColumnKind.SingleVector => new VectorDataViewType(NumberDataViewType.Single, vectorSize),
        ParquetColumnKind.DoubleVector => new VectorDataViewType(NumberDataViewType.Double, vectorSize),
        _ => throw new InvalidOperationException(kind.ToString()),
    };

    /// <summary>How the column reads in messages: <c>float</c>, <c>list&lt;float&gt; of 784</c> ….</summary>
    public string Describe() => kind switch
    {
        ParquetColumnKind.SingleVector => $"list<float> of {vectorSize}",
        ParquetColumnKind.DoubleVector => $"list<double> of {vectorSize}",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
