using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Deploy;

namespace MLNet.Distillation.DeployTests;

/// <summary>The saved student scores with ML.NET and ONNX Runtime alone, exactly as it did in the app that trained it.</summary>
public class ScoringTests
{
    [Fact]
    public void TheModelLoadsAndTakesThirteenFeatures()
    {
        using var student = new StudentModel(WineStudent.ModelPath);
        Assert.Equal(13, student.FeatureCount);
    }

    [Fact]
    public void ClassNamesAreTheOriginalLabelValues()
    {
        using var student = new StudentModel(WineStudent.ModelPath);
        Assert.Equal(WineStudent.ClassNames, student.ClassNames);
    }

    [Fact]
    public void PredictionEngineGivesTheProbabilitiesRecordedWhenTheModelWasMade()
    {
        using var student = new StudentModel(WineStudent.ModelPath);
        foreach (var row in WineStudent.Rows())
        {
            var p = student.Predict(row.Features);
            Assert.Equal(row.Probabilities, p.Probabilities);
            Assert.Equal(row.PredictedLabel, p.Label);
        }
    }

    [Fact]
    public void BatchTransformGivesTheSamePredictionsAsThePredictionEngine()
    {
        using var student = new StudentModel(WineStudent.ModelPath);
        var rows = WineStudent.Rows();
        var batch = student.PredictMany(rows.Select(r => r.Features));
        Assert.Equal(rows.Select(r => r.PredictedLabel), batch.Select(p => p.Label));
        for (int i = 0; i < rows.Length; i++) Assert.Equal(rows[i].Probabilities, batch[i].Probabilities);
    }

    [Fact]
    public void TheStudentIsAccurateOnTheWineTestRows()
    {
        using var student = new StudentModel(WineStudent.ModelPath);
        var rows = WineStudent.Rows();
        int correct = rows.Count(r => student.Predict(r.Features).Label == r.Label);
        Assert.True(correct >= 0.9 * rows.Length, $"{correct} of {rows.Length} right");
    }

    [Fact]
    public void ANaNFeatureGivesNoClassAndNaNProbabilities()
    {
        using var student = new StudentModel(WineStudent.ModelPath);
        var features = (float[])WineStudent.Rows()[0].Features.Clone();
        features[5] = float.NaN;
        var p = student.Predict(features);
        Assert.Null(p.Label);
        Assert.All(p.Probabilities, v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void AnInfiniteFeatureGivesNoClassInABatchAndLeavesTheOtherRowsAlone()
    {
        using var student = new StudentModel(WineStudent.ModelPath);
        var rows = WineStudent.Rows();
        var features = rows.Select(r => (float[])r.Features.Clone()).ToArray();
        features[1][0] = float.PositiveInfinity;
        var batch = student.PredictMany(features);
        Assert.Null(batch[1].Label);
        Assert.Equal(rows.Where((_, i) => i != 1).Select(r => r.PredictedLabel), batch.Where((_, i) => i != 1).Select(p => p.Label));
    }

    private sealed class NamedPrediction
    {
        public string PredictedLabel { get; set; } = "";
    }

    [Fact]
    public void StockMapKeyToValueTurnsPredictedLabelIntoTheClassName()
    {
        using var student = new StudentModel(WineStudent.ModelPath);
        var ml = student.MLContext;
        var rows = WineStudent.Rows();
        var data = ml.Data.LoadFromEnumerable(rows.Select(r => new StudentInput { Features = r.Features }), student.InputDefinition);
        var scored = student.Model.Transform(data);
        var named = ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored).Transform(scored);
        var labels = ml.Data.CreateEnumerable<NamedPrediction>(named, reuseRowObject: false).Select(p => p.PredictedLabel);
        Assert.Equal(rows.Select(r => r.PredictedLabel), labels);
    }

    [Fact]
    public void ScoreIsAFloatVectorOfOneProbabilityPerClassAndPredictedLabelAKey()
    {
        using var student = new StudentModel(WineStudent.ModelPath);
        var schema = student.Model.GetOutputSchema(student.MLContext.Data.LoadFromEnumerable(Array.Empty<StudentInput>(), student.InputDefinition).Schema);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), schema["Score"].Type);
        Assert.Equal(new KeyDataViewType(typeof(uint), 3), schema["PredictedLabel"].Type);
    }
}
