using System.Text.Json;
using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Reporting;

/// <summary>Serialises a <see cref="DistillationReport"/> as JSON; numbers that are not available (NaN) become null.</summary>
internal static class ReportJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DictionaryKeyPolicy = null,
    };

    public static string Serialize(DistillationReport r) => JsonSerializer.Serialize(new
    {
        createdAt = r.CreatedAt,
        task = r.Task.ToString(),
        rows = r.Rows,
        labelledRows = r.LabelledRows,
        groups = r.Task == DistillationTask.Ranking ? r.Groups : (int?)null,
        labelledGroups = r.Task == DistillationTask.Ranking ? r.LabelledGroups : (int?)null,
        calibrationBins = r.IsClassification ? r.CalibrationBins : (int?)null,
        teacher = r.Teacher,
        student = r.Student,
        topOneAgreement = Finite(r.TopOneAgreement),
        meanKlDivergence = Finite(r.MeanKlDivergence),
        teacherFidelityRmse = Finite(r.TeacherFidelityRmse),
        teacherFidelityRmsePerOutput = r.TeacherFidelityRmsePerOutput,
        rankCorrelation = Finite(r.RankCorrelation),
        rankCorrelationMethod = r.Task == DistillationTask.Ranking ? "Kendall tau-b, mean over groups" : null,
        rankingLabelGains = r.RankingLabelGains,
        rankCorrelationGroups = r.Task == DistillationTask.Ranking ? r.RankCorrelationGroups : (int?)null,
        compressionRatio = Finite(r.CompressionRatio),
        parameterRatio = Finite(r.ParameterRatio),
        singleRowSpeedup = new Dictionary<string, double?>
        {
            [DistillationReport.OnnxRuntime] = r.SingleRowSpeedup(DistillationReport.OnnxRuntime),
            [DistillationReport.MlNet] = r.SingleRowSpeedup(DistillationReport.MlNet),
        },
        machine = r.Machine,
        trainingHistory = r.TrainingHistory.Select(e => new
        {
            epoch = e.Epoch,
            loss = Finite(e.Loss),
            lossTerms = e.LossTerms.ToDictionary(kv => kv.Key, kv => Finite(kv.Value)),
            learningRate = Finite(e.LearningRate),
            trainAccuracy = Finite(e.TrainAccuracy),
            validationAccuracy = Finite(e.ValidationAccuracy),
            validationLogLoss = Finite(e.ValidationLogLoss),
            validationTeacherAgreement = Finite(e.ValidationTeacherAgreement),
            validationTeacherKl = Finite(e.ValidationTeacherKl),
            validationRmse = Finite(e.ValidationRmse),
            validationTeacherRmse = Finite(e.ValidationTeacherRmse),
            validationNdcg = Finite(e.ValidationNdcg),
            seconds = e.Elapsed.TotalSeconds,
            isBest = e.IsBest,
        }),
    }, Options);

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    private static double? Finite(double? v) => v is double x && double.IsFinite(x) ? x : null;
}
