using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation;

public static partial class DistillationCatalog
{
    /// <summary>
    /// Evaluates a multi-output regression model — a vector label and a vector <c>Score</c> of the same size, as a
    /// regression student trained on a vector label writes it — output by output with ML.NET's own
    /// <c>mlContext.Regression.Evaluate</c>: one <see cref="RegressionMetrics"/> (MAE, MSE, RMSE, R², loss) per slot, in
    /// slot order. Rows whose label slot is NaN do not count for that slot.
    /// </summary>
    /// <param name="catalog">The regression catalog (<c>mlContext.Regression</c>).</param>
    /// <param name="data">Scored data.</param>
    /// <param name="labelColumnName">Vector label column (default "Label").</param>
    /// <param name="scoreColumnName">Vector score column (default "Score").</param>
    public static IReadOnlyList<RegressionMetrics> EvaluateMultiOutput(this RegressionCatalog catalog, IDataView data, string labelColumnName = "Label", string scoreColumnName = "Score")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        var label = VectorColumn(data, labelColumnName, "label");
        var score = VectorColumn(data, scoreColumnName, "score");
        int k = ((VectorDataViewType)label.Type).Size;
        if (((VectorDataViewType)score.Type).Size != k)
            throw new ArgumentException($"Score column '{scoreColumnName}' has {((VectorDataViewType)score.Type).Size} values per row but label column '{labelColumnName}' has {k}; they must match slot for slot.", nameof(scoreColumnName));

        var perOutput = Enumerable.Range(0, k).Select(_ => new List<SlotRow>()).ToArray();
        using (var cursor = data.GetRowCursor([label, score]))
        {
            var labelGetter = cursor.GetGetter<VBuffer<float>>(label);
            var scoreGetter = cursor.GetGetter<VBuffer<float>>(score);
            VBuffer<float> l = default, s = default;
            var ld = new float[k];
            var sd = new float[k];
            while (cursor.MoveNext())
            {
                labelGetter(ref l);
                scoreGetter(ref s);
                l.CopyTo(ld);
                s.CopyTo(sd);
                for (int i = 0; i < k; i++) perOutput[i].Add(new SlotRow { Label = ld[i], Score = sd[i] });
            }
        }
        var ml = HostEnvironment.From(catalog).ToMLContext();
        return perOutput.Select(rows => ml.Regression.Evaluate(ml.Data.LoadFromEnumerable(rows))).ToArray();
    }

    private sealed class SlotRow
    {
        public float Label { get; set; }
        public float Score { get; set; }
    }

    private static DataViewSchema.Column VectorColumn(IDataView data, string name, string what)
    {
        var column = data.Schema.GetColumnOrNull(name)
            ?? throw new ArgumentException($"The {what} column '{name}' was not found. Columns: {string.Join(", ", data.Schema.Where(c => !c.IsHidden).Select(c => c.Name))}.");
        if (column.Type is not VectorDataViewType { IsKnownSize: true } v || v.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"The {what} column '{name}' has type {column.Type}; EvaluateMultiOutput needs a fixed-size vector of Single (for a single output use mlContext.Regression.Evaluate).");
        return column;
    }
}
