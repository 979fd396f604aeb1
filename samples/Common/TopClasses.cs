using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Samples;

/// <summary>The top class of each row of a score or teacher column, as the samples compare students and teachers.</summary>
public static class TopClasses
{
    /// <summary>For each row of <paramref name="data"/>, the index of the largest value of the float vector <paramref name="column"/> (the first on ties).</summary>
    public static int[] Of(IDataView data, string column)
    {
        var result = new List<int>();
        using var cursor = data.GetRowCursor([data.Schema[column]]);
        var getter = cursor.GetGetter<VBuffer<float>>(data.Schema[column]);
        VBuffer<float> v = default;
        while (cursor.MoveNext())
        {
            getter(ref v);
            var values = v.DenseValues().ToArray();
            int best = 0;
            for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
            result.Add(best);
        }
        return result.ToArray();
    }
}
