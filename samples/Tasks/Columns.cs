using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Samples.Tasks;

/// <summary>Reads whole columns of a (small) data view into arrays.</summary>
static class Columns
{
    /// <summary>A Single column.</summary>
    public static float[] Scalars(IDataView data, string column) => data.GetColumn<float>(column).ToArray();

    /// <summary>A vector-of-Single column, one array per row.</summary>
    public static float[][] Vectors(IDataView data, string column)
        => data.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray()).ToArray();

    /// <summary>A key column's raw values (1-based; 0 = missing).</summary>
    public static uint[] Keys(IDataView data, string column) => data.GetColumn<uint>(column).ToArray();
}
