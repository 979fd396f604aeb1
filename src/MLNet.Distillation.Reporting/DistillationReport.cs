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
/// The teacher and the student side by side on test data: accuracy, macro-F1, log-loss and calibration of each, how
/// faithfully the student follows the teacher (top-1 agreement, mean KL), their size, and how fast each scores one row
/// and a batch. Create one with <see cref="Create"/>; print it (<see cref="ToString"/>), or <see cref="Save"/> it as
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

    private const string TeacherColumn = "__ReportTeacherOutput";

    internal DistillationReport(ModelSummary teacher, ModelSummary student, int rows, int labelledRows, double agreement, double meanKl,
        int calibrationBins, IReadOnlyList<EpochProgress> history, string machine, DateTimeOffset createdAt)
    {
        Teacher = teacher;
        Student = student;
        Rows = rows;
        LabelledRows = labelledRows;
        TopOneAgreement = agreement;
        MeanKlDivergence = meanKl;
        CalibrationBins = calibrationBins;
        TrainingHistory = history;
        Machine = machine;
        CreatedAt = createdAt;
    }

    /// <summary>The teacher's numbers.</summary>
    public ModelSummary Teacher { get; }

    /// <summary>The student's numbers.</summary>
    public ModelSummary Student { get; }

    /// <summary>Test rows scored by both models.</summary>
    public int Rows { get; }

    /// <summary>Test rows with a label (the rows behind accuracy, macro-F1, log-loss and calibration).</summary>
    public int LabelledRows { get; }

    /// <summary>Fraction of test rows where the student's top class is the teacher's top class.</summary>
    public double TopOneAgreement { get; }

    /// <summary>Mean over test rows of KL(teacher ‖ student) = Σₖ tₖ·ln(tₖ/sₖ) at temperature 1, in nats (0 when the student reproduces the teacher's probabilities).</summary>
    public double MeanKlDivergence { get; }

    /// <summary>Bins of the reliability diagrams and the expected calibration error.</summary>
    public int CalibrationBins { get; }

    /// <summary>The student's per-epoch loss terms and metrics.</summary>
    public IReadOnlyList<EpochProgress> TrainingHistory { get; }

    /// <summary>Where the timings were taken (CPU, cores, OS, .NET and ONNX Runtime versions).</summary>
    public string Machine { get; }

    /// <summary>When the report was made.</summary>
    public DateTimeOffset CreatedAt { get; }

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
    /// Scores <paramref name="testData"/> with the teacher and the student and measures both.
    /// </summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="teacherModelPath">Path of the teacher's .onnx file (the one the student was distilled from).</param>
    /// <param name="studentModel">The fitted pipeline that ends with the student (as returned by <c>Fit</c>), or the <see cref="StudentTransformer"/> itself.
    /// It is applied to <paramref name="testData"/>; the teacher reads the transformed rows.</param>
    /// <param name="testData">Held-out rows: what <paramref name="studentModel"/> takes as input, with labels for the labelled metrics.</param>
    /// <param name="options">Label column, teacher binding, calibration bins and timing settings; null for the defaults.</param>
    /// <exception cref="ArgumentException">No student in <paramref name="studentModel"/>, a missing column, or a teacher whose number of classes differs from the student's.</exception>
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
        bool teacherGivesLogits = teacher.OutputKinds[0] == TeacherOutputKind.Logits;

        var (teacherProbabilities, studentProbabilities, labels) = ReadPredictions(withTeacher, TeacherColumn, teacherGivesLogits,
            options.LabelColumnName, student.ClassNames, student.Network.NumClasses);
        AlignTeacher(mlContext, withTeacher.Schema[TeacherColumn], withTeacher.Schema.GetColumnOrNull(options.LabelColumnName),
            teacherProbabilities, labels, student.Network.NumClasses);

        var studentOnnx = StudentOnnxExporter.ToOnnx(student.Network, StudentOnnxExporter.InputName, student.ClassNames);
        var teacherSummary = new ModelSummary
        {
            Role = "Teacher",
            Description = Path.GetFileName(teacherModelPath),
            ParameterCount = OnnxParameterCounter.Count(teacherModelPath),
            FileBytes = new FileInfo(teacherModelPath).Length,
            Latency = options.MeasureLatency ? [TimeTeacher(scored, teacherModelPath, teacherOptions, options)] : [],
        };
        var studentSummary = new ModelSummary
        {
            Role = "Student",
            Description = $"{student.Network} MLP ({student.Network.Activation.ToString().ToLowerInvariant()}), loss {student.LossName}",
            ParameterCount = OnnxParameterCounter.Count(studentOnnx),
            FileBytes = studentOnnx.LongLength,
            Latency = options.MeasureLatency ? TimeStudent(mlContext, scored, student, studentOnnx, options) : [],
        };
        return FromPredictions(teacherSummary, studentSummary, teacherProbabilities, studentProbabilities, labels, options.CalibrationBins,
            student.History, MachineDescription.Current());
    }

    /// <summary>Computes every quality and fidelity number from per-row probabilities and labels (−1: no label) and puts them into the summaries.</summary>
    internal static DistillationReport FromPredictions(ModelSummary teacher, ModelSummary student, IReadOnlyList<float[]> teacherProbabilities,
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
        return new DistillationReport(Fill(teacher, teacherProbabilities), Fill(student, studentProbabilities), labels.Count, labels.Count(l => l >= 0),
            ClassificationMetrics.Agreement(teacherProbabilities, studentProbabilities), ClassificationMetrics.MeanKl(teacherProbabilities, studentProbabilities),
            calibrationBins, history, machine, DateTimeOffset.UtcNow);
    }

    /// <summary>The report as a plain-text table for a console.</summary>
    public override string ToString() => ReportFormatter.ToText(this);

    /// <summary>The report as Markdown: a metrics table, the timing setup and the reliability bins.</summary>
    public string ToMarkdown() => ReportFormatter.ToMarkdown(this);

    /// <summary>The report as indented JSON (camelCase names; unavailable numbers are null).</summary>
    public string ToJson() => ReportJson.Serialize(this);

    /// <summary>
    /// Writes <c>distillation-report.json</c>, <c>distillation-report.md</c> and, with <paramref name="includePlots"/>, the PNG plots
    /// (<c>training-loss.png</c>, <c>training-metrics.png</c>, <c>reliability.png</c>, <c>latency.png</c>, <c>throughput.png</c>, <c>size.png</c>; a plot is
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
        using (var runner = OnnxRunner.Create(studentOnnx, "Student", data, new Dictionary<string, string> { [StudentOnnxExporter.InputName] = student.FeatureColumnName },
            new Dictionary<string, int[]>(), [StudentOnnxExporter.ProbabilitiesOutput, StudentOnnxExporter.PredictedClassOutput], rows, options.IntraOpNumThreads))
            ort = LatencyProbe.Measure(OnnxRuntime, runner.RunRow, runner.Run, options.ThroughputBatchSize, options.WarmupCalls, options.LatencyCalls, options.ThroughputRows)
                with { IntraOpThreads = options.IntraOpNumThreads };

        var features = ReadFeatures(data, student.FeatureColumnName, rows);
        using var mlnet = new MlNetStudentRunner(ml, student, student.FeatureColumnName, features);
        var net = LatencyProbe.Measure(MlNet, mlnet.RunRow, mlnet.RunBatch, options.ThroughputBatchSize, options.WarmupCalls, options.LatencyCalls, options.ThroughputRows);
        return [ort, net];
    }

    private static float[][] ReadFeatures(IDataView data, string column, int maxRows)
    {
        var col = data.Schema[column];
        var rows = new List<float[]>();
        using var cursor = data.GetRowCursor([col]);
        var getter = cursor.GetGetter<VBuffer<float>>(col);
        VBuffer<float> v = default;
        while (rows.Count < maxRows && cursor.MoveNext())
        {
            getter(ref v);
            rows.Add(v.DenseValues().ToArray());
        }
        return rows.ToArray();
    }
}
