using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Distillation.Export;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Reporting;

/// <summary>
/// The teacher and the student side by side on test data, with the numbers of the student's task
/// (<see cref="Task"/>): classification — accuracy, macro-F1, log-loss and calibration of each, AUC for binary, and how
/// faithfully the student follows the teacher (agreement, mean KL); regression — RMSE, MAE and R² of each against the
/// labels (per output for several outputs) and the student's RMSE to the teacher; ranking — NDCG@1…10 of each and the
/// rank correlation of the student's scores with the teacher's. For every task: their size, and how fast each scores one
/// row and a batch. Create one with <see cref="Create"/>; print it (<see cref="ToString"/>), or <see cref="Save"/> it as
/// JSON, Markdown and PNG plots.
/// </summary>
/// <example>
/// <code>
/// var report = DistillationReport.Create(mlContext, "teacher.onnx", model, testData);
/// Console.WriteLine(report);
/// report.Save("report");   // distillation-report.json, distillation-report.md, *.png
/// </code>
/// </example>
public sealed class DistillationReport
{
    /// <summary>Name of the runtime in <see cref="LatencyStats.Runtime"/> for a bare ONNX Runtime <c>InferenceSession</c>.</summary>
    public const string OnnxRuntime = "ONNX Runtime";

    /// <summary>Name of the runtime in <see cref="LatencyStats.Runtime"/> for the student's ML.NET model (<c>PredictionEngine</c> for one row, <c>Transform</c> for batches).</summary>
    public const string MlNet = "ML.NET";

    /// <summary>Deepest truncation of the ranking metrics: <see cref="ModelSummary.Ndcg"/> holds NDCG@1 … NDCG@10.</summary>
    public const int NdcgDepth = 10;

    private const string TeacherColumn = "__ReportTeacherOutput";

    private DistillationReport(DistillationTask task, ModelSummary teacher, ModelSummary student, int rows, int labelledRows,
        IReadOnlyList<EpochProgress> history, string machine)
    {
        Task = task;
        Teacher = teacher;
        Student = student;
        Rows = rows;
        LabelledRows = labelledRows;
        TrainingHistory = history;
        Machine = machine;
        CreatedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>The student's task, which decides the quality numbers the report holds.</summary>
    public DistillationTask Task { get; }

    /// <summary>The teacher's numbers.</summary>
    public ModelSummary Teacher { get; }

    /// <summary>The student's numbers.</summary>
    public ModelSummary Student { get; }

    /// <summary>Test rows scored by both models.</summary>
    public int Rows { get; }

    /// <summary>Test rows with a label (the rows behind the labelled metrics: accuracy … calibration, RMSE/MAE/R², NDCG).</summary>
    public int LabelledRows { get; }

    /// <summary>Classification: fraction of test rows where the student's top class is the teacher's top class (binary: the same predicted label); null for the other tasks.</summary>
    public double? TopOneAgreement { get; private init; }

    /// <summary>Classification: mean over test rows of KL(teacher ‖ student) = Σₖ tₖ·ln(tₖ/sₖ) at temperature 1, in nats (binary: over the two classes); null for the other tasks.</summary>
    public double? MeanKlDivergence { get; private init; }

    /// <summary>Regression: the student's fidelity to the teacher, √(mean (student − teacher)²) over all test rows (labelled or not), the mean over the outputs; null for the other tasks.</summary>
    public double? TeacherFidelityRmse { get; private init; }

    /// <summary>Regression: <see cref="TeacherFidelityRmse"/> of each output; null for the other tasks.</summary>
    public IReadOnlyList<double>? TeacherFidelityRmsePerOutput { get; private init; }

    /// <summary>
    /// Ranking: Kendall's τ-b between the student's and the teacher's scores of a group's rows (labelled or not), the mean
    /// over the groups (1: the same order, −1: reversed); groups of one row or with all scores equal are left out
    /// (<see cref="RankCorrelationGroups"/> counts the others). Null for the other tasks or when no group counts.
    /// </summary>
    public double? RankCorrelation { get; private init; }

    /// <summary>Ranking: the groups behind <see cref="RankCorrelation"/>.</summary>
    public int RankCorrelationGroups { get; private init; }

    /// <summary>Ranking: the gain of each relevance grade behind <see cref="ModelSummary.Ndcg"/> (<see cref="DistillationReportOptions.RankingLabelGains"/>); null for the other tasks.</summary>
    public IReadOnlyList<double>? RankingLabelGains { get; private init; }

    /// <summary>Ranking: distinct groups (queries) in the test rows; 0 for the other tasks.</summary>
    public int Groups { get; private init; }

    /// <summary>Ranking: the groups with a labelled row, over which NDCG is averaged; 0 for the other tasks.</summary>
    public int LabelledGroups { get; private init; }

    /// <summary>Classification: bins of the reliability diagrams and the expected calibration error.</summary>
    public int CalibrationBins { get; private init; }

    /// <summary>The student's per-epoch loss terms and metrics.</summary>
    public IReadOnlyList<EpochProgress> TrainingHistory { get; }

    /// <summary>Where the timings were taken (CPU, cores, OS, .NET and ONNX Runtime versions).</summary>
    public string Machine { get; }

    /// <summary>When the report was made.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>True for multiclass and binary classification, whose reports hold accuracy, calibration, agreement and KL.</summary>
    public bool IsClassification => Task is DistillationTask.MulticlassClassification or DistillationTask.BinaryClassification;

    /// <summary>Teacher file size / student file size.</summary>
    public double CompressionRatio => Teacher.FileBytes / (double)Student.FileBytes;

    /// <summary>Teacher parameters / student parameters.</summary>
    public double ParameterRatio => Teacher.ParameterCount / (double)Student.ParameterCount;

    /// <summary>Teacher's single-row p50 latency / the student's on <paramref name="studentRuntime"/> (the teacher always on ONNX Runtime); null when not measured.</summary>
    /// <param name="studentRuntime"><see cref="OnnxRuntime"/> (default) or <see cref="MlNet"/>.</param>
    public double? SingleRowSpeedup(string studentRuntime = OnnxRuntime)
    {
        var t = Teacher.Latency.FirstOrDefault(l => l.Runtime == OnnxRuntime);
        var s = Student.Latency.FirstOrDefault(l => l.Runtime == studentRuntime);
        return t is null || s is null ? null : t.P50Milliseconds / s.P50Milliseconds;
    }

    /// <summary>
    /// Scores <paramref name="testData"/> with the teacher and the student and measures both, with the numbers of the
    /// student's task (<see cref="StudentTransformer.Task"/>).
    /// </summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="teacherModelPath">Path of the teacher's .onnx file (the one the student was distilled from; with several teachers, the one to compare with).</param>
    /// <param name="studentModel">The fitted pipeline that ends with the student (as returned by <c>Fit</c>), or the <see cref="StudentTransformer"/> itself.
    /// It is applied to <paramref name="testData"/>; the teacher reads the transformed rows.</param>
    /// <param name="testData">Held-out rows: what <paramref name="studentModel"/> takes as input, with labels for the labelled metrics (and, for ranking, the group column).</param>
    /// <param name="options">Label and group columns, teacher binding, calibration bins and timing settings; null for the defaults.</param>
    /// <exception cref="ArgumentException">No student in <paramref name="studentModel"/>, a missing column, or a teacher whose number of outputs does not fit the student's
    /// (multiclass: its classes; binary: 1 or 2 values; regression: its outputs; ranking: 1 score).</exception>
    public static DistillationReport Create(MLContext mlContext, string teacherModelPath, ITransformer studentModel, IDataView testData,
        DistillationReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentException.ThrowIfNullOrWhiteSpace(teacherModelPath);
        ArgumentNullException.ThrowIfNull(studentModel);
        ArgumentNullException.ThrowIfNull(testData);
        options ??= new DistillationReportOptions();
        options.Validate();
        if (!File.Exists(teacherModelPath))
            throw new FileNotFoundException($"Teacher model '{teacherModelPath}' was not found (looked at '{Path.GetFullPath(teacherModelPath)}').", teacherModelPath);
        var student = FindStudent(studentModel)
            ?? throw new ArgumentException("The model holds no StudentTransformer; pass the model returned by Fit on a pipeline that ends with Trainers.Student(...), or the student itself.", nameof(studentModel));

        var scored = studentModel.Transform(testData);
        if (scored.Schema.GetColumnOrNull(student.FeatureColumnName) is null)
            throw new ArgumentException($"The test data, after the student model's transform, has no column '{student.FeatureColumnName}' (the student's features).", nameof(testData));
        var teacherOptions = TeacherOptions(teacherModelPath, student, options);
        using var teacher = mlContext.Transforms.Distill(teacherOptions).Fit(scored);
        var withTeacher = teacher.Transform(scored);
        string teacherName = Path.GetFileName(teacherModelPath);

        var studentOnnx = StudentOnnxExporter.ToOnnx(student.Network, StudentOnnxExporter.InputName, student.ClassNames);
        var teacherSummary = new ModelSummary
        {
            Role = "Teacher",
            Description = teacherName,
            ParameterCount = OnnxParameterCounter.Count(teacherModelPath),
            FileBytes = new FileInfo(teacherModelPath).Length,
        };
        var studentSummary = new ModelSummary
        {
            Role = "Student",
            Description = student.Network.Body is null
                ? $"{student.Network} MLP ({student.Network.Activation.ToString().ToLowerInvariant()}), loss {student.LossName}"
                : $"{student.Network} ({student.Network.Activation.ToString().ToLowerInvariant()} dense layers), loss {student.LossName}",
            ParameterCount = OnnxParameterCounter.Count(studentOnnx),
            FileBytes = studentOnnx.LongLength,
        };
        var machine = MachineDescription.Current();
        var report = student.Task switch
        {
            DistillationTask.BinaryClassification => FromBinary(teacherSummary, studentSummary,
                TaskPredictionReader.ReadBinary(withTeacher, TeacherColumn, teacher.OutputKinds[0], teacherName, options.LabelColumnName),
                options.CalibrationBins, student.History, machine),
            DistillationTask.Regression => FromRegression(teacherSummary, studentSummary,
                TaskPredictionReader.ReadRegression(withTeacher, TeacherColumn, teacherName, student.Network.NumClasses, options.LabelColumnName),
                student.History, machine),
            DistillationTask.Ranking => FromRanking(teacherSummary, studentSummary,
                TaskPredictionReader.ReadRanking(withTeacher, TeacherColumn, teacherName, options.LabelColumnName, options.RowGroupColumnName),
                options.RankingLabelGains.ToArray(), student.History, machine),
            DistillationTask.MulticlassClassification => Multiclass(mlContext, withTeacher, teacher.OutputKinds[0] == TeacherOutputKind.Logits, student, teacherSummary, studentSummary, options, machine),
            var task => throw new NotSupportedException($"DistillationReport covers multiclass, binary, regression and ranking students; this student's task is {task}. Evaluate an embedding student with MLNet.Distillation.Evaluation.EmbeddingEvaluation.Evaluate (neighbour agreement with the teacher, k-NN accuracy)."),
        };
        if (!options.MeasureLatency) return report;
        return report.WithLatency([TimeTeacher(scored, teacherModelPath, teacherOptions, options)], TimeStudent(mlContext, scored, student, studentOnnx, options));
    }

    private static DistillationReport Multiclass(MLContext mlContext, IDataView withTeacher, bool teacherGivesLogits, StudentTransformer student,
        ModelSummary teacherSummary, ModelSummary studentSummary, DistillationReportOptions options, string machine)
    {
        var (teacherProbabilities, studentProbabilities, labels) = ReadPredictions(withTeacher, TeacherColumn, teacherGivesLogits,
            options.LabelColumnName, student.ClassNames, student.Network.NumClasses);
        AlignTeacher(mlContext, withTeacher.Schema[TeacherColumn], withTeacher.Schema.GetColumnOrNull(options.LabelColumnName),
            teacherProbabilities, labels, student.Network.NumClasses);
        return FromPredictions(teacherSummary, studentSummary, teacherProbabilities, studentProbabilities, labels, options.CalibrationBins,
            student.History, machine);
    }

    private DistillationReport WithLatency(IReadOnlyList<LatencyStats> teacher, IReadOnlyList<LatencyStats> student)
        => new(Task, Teacher with { Latency = teacher }, Student with { Latency = student }, Rows, LabelledRows, TrainingHistory, Machine)
        {
            TopOneAgreement = TopOneAgreement,
            MeanKlDivergence = MeanKlDivergence,
            TeacherFidelityRmse = TeacherFidelityRmse,
            TeacherFidelityRmsePerOutput = TeacherFidelityRmsePerOutput,
            RankCorrelation = RankCorrelation,
            RankCorrelationGroups = RankCorrelationGroups,
            RankingLabelGains = RankingLabelGains,
            Groups = Groups,
            LabelledGroups = LabelledGroups,
            CalibrationBins = CalibrationBins,
        };

    /// <summary>
    /// A multiclass report from per-row class probabilities and labels (−1: no label): every quality and fidelity number,
    /// put into the summaries.
    /// </summary>
    internal static DistillationReport FromPredictions(ModelSummary teacher, ModelSummary student, IReadOnlyList<float[]> teacherProbabilities,
        IReadOnlyList<float[]> studentProbabilities, IReadOnlyList<int> labels, int calibrationBins, IReadOnlyList<EpochProgress> history, string machine)
        => Classification(DistillationTask.MulticlassClassification, teacher, student, teacherProbabilities, studentProbabilities, labels, calibrationBins, history, machine);

    /// <summary>A binary report: the classification numbers on rows of [1 − p, p], and the AUC of each model's positive-class score.</summary>
    internal static DistillationReport FromBinary(ModelSummary teacher, ModelSummary student, BinaryPredictions p, int calibrationBins,
        IReadOnlyList<EpochProgress> history, string machine)
    {
        var r = Classification(DistillationTask.BinaryClassification, teacher, student, p.Teacher, p.Student, p.Labels, calibrationBins, history, machine);
        return new DistillationReport(r.Task, r.Teacher with { AreaUnderRocCurve = ClassificationMetrics.AreaUnderRoc(p.TeacherScores, p.Labels) },
            r.Student with { AreaUnderRocCurve = ClassificationMetrics.AreaUnderRoc(p.StudentScores, p.Labels) }, r.Rows, r.LabelledRows, history, machine)
        {
            TopOneAgreement = r.TopOneAgreement,
            MeanKlDivergence = r.MeanKlDivergence,
            CalibrationBins = calibrationBins,
        };
    }

    private static DistillationReport Classification(DistillationTask task, ModelSummary teacher, ModelSummary student, IReadOnlyList<float[]> teacherProbabilities,
        IReadOnlyList<float[]> studentProbabilities, IReadOnlyList<int> labels, int calibrationBins, IReadOnlyList<EpochProgress> history, string machine)
    {
        if (teacherProbabilities.Count != studentProbabilities.Count || labels.Count != teacherProbabilities.Count)
            throw new ArgumentException("Teacher, student and label rows must line up.");
        int classes = studentProbabilities.Count > 0 ? studentProbabilities[0].Length : 0;
        ModelSummary Fill(ModelSummary m, IReadOnlyList<float[]> p)
        {
            var bins = ClassificationMetrics.Reliability(p, labels, calibrationBins);
            return m with
            {
                Accuracy = ClassificationMetrics.Accuracy(p, labels),
                MacroF1 = ClassificationMetrics.MacroF1(p, labels, classes),
                LogLoss = ClassificationMetrics.LogLoss(p, labels),
                ExpectedCalibrationError = ClassificationMetrics.ExpectedCalibrationError(bins),
                Reliability = bins,
            };
        }
        return new DistillationReport(task, Fill(teacher, teacherProbabilities), Fill(student, studentProbabilities), labels.Count, labels.Count(l => l >= 0), history, machine)
        {
            TopOneAgreement = Finite(ClassificationMetrics.Agreement(teacherProbabilities, studentProbabilities)),
            MeanKlDivergence = Finite(ClassificationMetrics.MeanKl(teacherProbabilities, studentProbabilities)),
            CalibrationBins = calibrationBins,
        };
    }

    /// <summary>A regression report: RMSE, MAE and R² of each model (mean over the outputs, and per output) and the student's RMSE to the teacher.</summary>
    internal static DistillationReport FromRegression(ModelSummary teacher, ModelSummary student, RegressionPredictions p, IReadOnlyList<EpochProgress> history, string machine)
    {
        if (p.Teacher.Count != p.Student.Count || p.Labels.Count != p.Student.Count || p.Labelled.Count != p.Student.Count)
            throw new ArgumentException("Teacher, student and label rows must line up.");
        ModelSummary Fill(ModelSummary m, IReadOnlyList<float[]> predictions)
        {
            var perOutput = RegressionMeasures.PerOutput(predictions, p.Labels, p.Labelled, p.Outputs);
            return m with
            {
                RootMeanSquaredError = RegressionMeasures.Mean(perOutput.Select(o => o.RootMeanSquaredError)),
                MeanAbsoluteError = RegressionMeasures.Mean(perOutput.Select(o => o.MeanAbsoluteError)),
                RSquared = RegressionMeasures.Mean(perOutput.Select(o => o.RSquared)),
                PerOutput = perOutput,
            };
        }
        var fidelity = RegressionMeasures.DistancePerOutput(p.Student, p.Teacher, p.Outputs);
        return new DistillationReport(DistillationTask.Regression, Fill(teacher, p.Teacher), Fill(student, p.Student), p.Student.Count, p.Labelled.Count(l => l), history, machine)
        {
            TeacherFidelityRmse = fidelity.Count == 0 ? null : fidelity.Average(),
            TeacherFidelityRmsePerOutput = fidelity,
        };
    }

    /// <summary>A ranking report: NDCG@1…10 of each model over the labelled groups and Kendall's τ-b of the student's scores with the teacher's.</summary>
    internal static DistillationReport FromRanking(ModelSummary teacher, ModelSummary student, RankingPredictions p, IReadOnlyList<double> gains,
        IReadOnlyList<EpochProgress> history, string machine)
    {
        if (p.Teacher.Count != p.Student.Count || p.Grades.Count != p.Student.Count || p.Labelled.Count != p.Student.Count || p.Groups.Count != p.Student.Count)
            throw new ArgumentException("Teacher, student, label and group rows must line up.");
        var (tau, tauGroups) = RankingMeasures.KendallTauB(p.Student, p.Teacher, p.Groups);
        return new DistillationReport(DistillationTask.Ranking,
            teacher with { Ndcg = RankingMeasures.Ndcg(p.Teacher, p.Grades, p.Labelled, p.Groups, NdcgDepth, gains) },
            student with { Ndcg = RankingMeasures.Ndcg(p.Student, p.Grades, p.Labelled, p.Groups, NdcgDepth, gains) },
            p.Student.Count, p.Labelled.Count(l => l), history, machine)
        {
            RankingLabelGains = gains,
            RankCorrelation = tau,
            RankCorrelationGroups = tauGroups,
            Groups = p.Groups.Distinct().Count(),
            LabelledGroups = RankingMeasures.LabelledGroups(p.Labelled, p.Groups),
        };
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    /// <summary>The report as a plain-text table for a console.</summary>
    public override string ToString() => ReportFormatter.ToText(this);

    /// <summary>The report as Markdown: a metrics table, the timing setup and the reliability bins.</summary>
    public string ToMarkdown() => ReportFormatter.ToMarkdown(this);

    /// <summary>The report as indented JSON (camelCase names; unavailable numbers are null).</summary>
    public string ToJson() => ReportJson.Serialize(this);

    /// <summary>
    /// Writes <c>distillation-report.json</c>, <c>distillation-report.md</c> and, with <paramref name="includePlots"/>, the PNG plots
    /// (<c>training-loss.png</c>, <c>training-metrics.png</c>, <c>reliability.png</c> (classification), <c>latency.png</c>, <c>throughput.png</c>, <c>size.png</c>; a plot is
    /// left out when it has nothing to show) into <paramref name="directory"/>, each file atomically.
    /// </summary>
    /// <param name="directory">Folder to write into; created when missing.</param>
    /// <param name="includePlots">Also render the plots (default true).</param>
    /// <returns>The paths written.</returns>
    public IReadOnlyList<string> Save(string directory, bool includePlots = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        void Write(string name, byte[] bytes)
        {
            var path = Path.Combine(directory, name);
            AtomicFile.WriteAllBytes(path, bytes);
            written.Add(path);
        }
        Write("distillation-report.json", System.Text.Encoding.UTF8.GetBytes(ToJson()));
        Write("distillation-report.md", System.Text.Encoding.UTF8.GetBytes(ToMarkdown()));
        if (includePlots)
            foreach (var (name, png) in ReportPlots.Render(this)) Write(name, png);
        return written;
    }

    private static StudentTransformer? FindStudent(ITransformer model) => model switch
    {
        StudentTransformer s => s,
        IEnumerable<ITransformer> chain => chain.Reverse().Select(FindStudent).FirstOrDefault(s => s is not null),
        _ => null,
    };

    private static DistillOptions TeacherOptions(string teacherModelPath, StudentTransformer student, DistillationReportOptions options)
    {
        var o = options.Teacher?.Clone() ?? new DistillOptions { InputColumnName = student.FeatureColumnName };
        o.TeacherModelPath = teacherModelPath;
        var first = o.OutputColumns.Keys.FirstOrDefault();
        o.OutputColumns = first is null ? new() : new() { [first] = TeacherColumn };
        o.OutputColumnName = TeacherColumn;
        return o;
    }

    private static (List<float[]> Teacher, List<float[]> Student, List<int> Labels) ReadPredictions(IDataView data, string teacherColumn, bool logits,
        string labelColumnName, IReadOnlyList<string> classNames, int classes)
    {
        var teacherCol = data.Schema[teacherColumn];
        if (teacherCol.Type is not VectorDataViewType { Size: var width } || width != classes)
            throw new ArgumentException($"The teacher gives {(teacherCol.Type as VectorDataViewType)?.Size.ToString() ?? "an unknown number of"} values per row but the student has {classes} classes; the report needs the teacher's class scores in the student's class order.");
        var scoreCol = data.Schema["Score"];
        var columns = new List<DataViewSchema.Column> { teacherCol, scoreCol };
        var labelColumn = data.Schema.GetColumnOrNull(labelColumnName);
        if (labelColumn is { } lc) columns.Add(lc);
        using var cursor = data.GetRowCursor(columns);
        var getTeacher = cursor.GetGetter<VBuffer<float>>(teacherCol);
        var getScore = cursor.GetGetter<VBuffer<float>>(scoreCol);
        var getLabel = LabelIndexReader.Create(cursor, labelColumn, classNames);
        VBuffer<float> t = default, s = default;
        var teacher = new List<float[]>();
        var student = new List<float[]>();
        var labels = new List<int>();
        while (cursor.MoveNext())
        {
            getTeacher(ref t);
            getScore(ref s);
            var tv = t.DenseValues().ToArray();
            teacher.Add(logits ? ClassificationMetrics.Softmax(tv) : tv);
            student.Add(s.DenseValues().ToArray());
            labels.Add(getLabel());
        }
        return (teacher, student, labels);
    }

    /// <summary>
    /// Puts the teacher's outputs into the student's class order, decided as the student's fit decides it (class names,
    /// integer labels or the evidence of the labelled rows: <see cref="ClassAligner"/>), so that a label whose keys are not
    /// in the teacher's output order still compares like with like. The decision is a line in <c>MLContext.Log</c>; when
    /// the rows do not decide it, the report keeps the key order and says so there.
    /// </summary>
    private static void AlignTeacher(MLContext mlContext, DataViewSchema.Column teacherColumn, DataViewSchema.Column? label,
        List<float[]> teacher, List<int> labels, int classes)
    {
        IHostEnvironment env = mlContext;
        var aligner = new ClassAligner(ClassAlignment.Auto, m => env.Info("Report", m), m => env.Warn("Report", m));
        var labelStore = new RowStore<int>(1, labels.Count);
        foreach (var l in labels) labelStore.Append()[0] = l;
        var teacherStore = new RowStore<float>(classes, teacher.Count);
        foreach (var row in teacher) row.CopyTo(teacherStore.Append());
        try
        {
            aligner.Align(teacherColumn, label is { Type: KeyDataViewType } ? label : null, labelStore, teacherStore, classes);
        }
        catch (ArgumentException e)
        {
            env.Warn("Report", $"The report compares teacher output i with student class i (key order): {e.Message}");
            return;
        }
        for (int i = 0; i < teacher.Count; i++) teacherStore[i].CopyTo(teacher[i]);
    }

    private static LatencyStats TimeTeacher(IDataView data, string teacherModelPath, DistillOptions teacherOptions, DistillationReportOptions options)
    {
        var inputs = teacherOptions.InputColumns.Count > 0
            ? teacherOptions.InputColumns
            : new Dictionary<string, string> { [SingleInputName(teacherModelPath)] = teacherOptions.InputColumnName };
        int rows = Math.Max(options.ThroughputBatchSize, options.LatencyCalls);
        using var runner = OnnxRunner.Create(teacherModelPath, $"Teacher model '{Path.GetFileName(teacherModelPath)}'", data, inputs,
            teacherOptions.InputShapes, teacherOptions.OutputColumns.Keys.Take(1).ToArray() is { Length: 1 } o ? o : null, rows, options.IntraOpNumThreads);
        int batch = Math.Min(options.ThroughputBatchSize, runner.MaxBatch);
        return LatencyProbe.Measure(OnnxRuntime, runner.RunRow, runner.Run, batch, options.WarmupCalls, options.LatencyCalls, options.ThroughputRows)
            with { IntraOpThreads = options.IntraOpNumThreads };
    }

    private static string SingleInputName(string modelPath)
    {
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(modelPath);
        if (session.InputMetadata.Count != 1)
            throw new ArgumentException($"Teacher model '{Path.GetFileName(modelPath)}' has {session.InputMetadata.Count} inputs ({string.Join(", ", session.InputMetadata.Keys)}); map each to a column with DistillationReportOptions.Teacher.InputColumns.");
        return session.InputMetadata.Keys.Single();
    }

    private static LatencyStats[] TimeStudent(MLContext ml, IDataView data, StudentTransformer student, byte[] studentOnnx, DistillationReportOptions options)
    {
        int rows = Math.Max(options.ThroughputBatchSize, options.LatencyCalls);
        LatencyStats ort;
        // A text student's standalone graph takes int64 ids [batch, MaxTokens]: time it on the rows' ids as a deployed app feeds them.
        var (ortData, ortColumn) = student.Network.Body is ITokenIdBody tokens
            ? (TokenIdRows(ml, data, student.FeatureColumnName, tokens, rows), TokenIdColumn)
            : (data, student.FeatureColumnName);
        using (var runner = OnnxRunner.Create(studentOnnx, "Student", ortData, new Dictionary<string, string> { [StudentOnnxExporter.InputName] = ortColumn },
            new Dictionary<string, int[]>(), OnnxOutputs(student.Task), rows, options.IntraOpNumThreads))
            ort = LatencyProbe.Measure(OnnxRuntime, runner.RunRow, runner.Run, options.ThroughputBatchSize, options.WarmupCalls, options.LatencyCalls, options.ThroughputRows)
                with { IntraOpThreads = options.IntraOpNumThreads };

        using var mlnet = MlNetStudentRunner.Create(ml, student, data, student.FeatureColumnName, rows);
        var net = LatencyProbe.Measure(MlNet, mlnet.RunRow, mlnet.RunBatch, options.ThroughputBatchSize, options.WarmupCalls, options.LatencyCalls, options.ThroughputRows);
        return [ort, net];
    }

    /// <summary>Every output of the student's ONNX graph for its task, so that the timed call computes what a deployed app reads.</summary>
    private static string[] OnnxOutputs(DistillationTask task) => task switch
    {
        DistillationTask.MulticlassClassification => [StudentOnnxExporter.ProbabilitiesOutput, StudentOnnxExporter.PredictedClassOutput],
        DistillationTask.BinaryClassification => [StudentOnnxExporter.LogitOutput, StudentOnnxExporter.ProbabilityOutput, StudentOnnxExporter.PredictedLabelOutput],
        _ => [StudentOnnxExporter.ScoreOutput],
    };

    private const string TokenIdColumn = "__TokenIds";

    private sealed class TokenIdRow
    {
        public long[] Ids { get; set; } = [];
    }

    /// <summary>The first <paramref name="maxRows"/> rows' token ids as the standalone graph takes them: int64, padded or cut to MaxTokens (<see cref="TokenIdReader"/>).</summary>
    private static IDataView TokenIdRows(MLContext ml, IDataView data, string column, ITokenIdBody body, int maxRows)
    {
        var reader = TokenIdReader.Create(data.Schema[column], body.MaxTokens, body.VocabularySize);
        var rows = new List<TokenIdRow>();
        var ids = new float[body.MaxTokens];
        using (var cursor = data.GetRowCursor([data.Schema[column]]))
        {
            var read = reader.Bind(cursor);
            while (rows.Count < maxRows && cursor.MoveNext())
            {
                read(rows.Count, ids);
                rows.Add(new TokenIdRow { Ids = ids.Select(v => (long)v).ToArray() });
            }
        }
        var schema = SchemaDefinition.Create(typeof(TokenIdRow));
        schema[0].ColumnName = TokenIdColumn;
        schema[0].ColumnType = new VectorDataViewType(NumberDataViewType.Int64, body.MaxTokens);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }
}
