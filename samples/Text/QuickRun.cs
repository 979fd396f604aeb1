using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.Distillation.Reporting;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;

namespace MLNet.Distillation.Samples.Text;

/// <summary>
/// The one-command walk-through on the committed subset: text → the teacher's ids and mask → Distill (soft labels) →
/// an embedding-bag student over the student's own word keys; accuracy, agreement, save/reload, ONNX export, report.
/// </summary>
internal static class QuickRun
{
    private const int Seed = 1, Epochs = 40, MinimumSteps = 750, BatchSize = 32, LabelledPercent = 10;

    public static int Run(FortunesText fortunes, string outputDir)
    {
        var total = Stopwatch.StartNew();
        var ml = new MLContext(seed: Seed);
        var train = FortunesText.Load(ml, fortunes.DataDir, "train");
        var test = FortunesText.Load(ml, fortunes.DataDir, "test");
        var tokenizer = fortunes.Tokenizer();
        var labelToKey = fortunes.LabelToKey(ml);
        Console.WriteLine($"Fortunes subset: {train.GetRowCount() ?? Count(train)} train and {Count(test)} test rows, {fortunes.Classes.Length} classes ({string.Join(", ", fortunes.Classes)}).");

        // The teacher alone on the test rows: its WordPiece ids (64 per row), then its logits.
        var teacherOnTest = labelToKey.Append(fortunes.Teacher(ml, tokenizer)).Fit(test).Transform(test);
        var teacherTop = TopClasses.Of(teacherOnTest, "TeacherLogits");
        var labels = Labels(teacherOnTest);
        Console.WriteLine($"Teacher {Path.GetFileName(fortunes.TeacherPath)} ({new FileInfo(fortunes.TeacherPath).Length / 1024} KiB, {fortunes.TeacherParameters:N0} parameters): " +
                          $"test accuracy {Accuracy(teacherTop, labels):P1} on these rows ({fortunes.TeacherTestAccuracy:P1} on the whole corpus's test split).");

        StudentOptions Options(string? teacherColumn) => new()
        {
            Architecture = StudentArchitecture.EmbeddingBag(new EmbeddingBagStudentOptions { MaxTokens = 64, EmbeddingDimension = 32 }),
            HiddenLayers = [],
            TeacherColumnName = teacherColumn,   // the default loss: labelled rows learn from their label, the others from the teacher
            Epochs = Epochs,
            MinimumSteps = MinimumSteps,         // the scratch fit on the few labelled rows makes as many steps as the distilled one
            BatchSize = BatchSize,
            Seed = Seed,
        };

        // The label-scarce setting: 10 % of the training rows keep their label (every tenth row), the teacher labels the rest.
        var rows = ml.Data.CreateEnumerable<FortuneRow>(train, reuseRowObject: false).ToArray();
        var labelled = ml.Data.LoadFromEnumerable(rows.Where((_, i) => i % (100 / LabelledPercent) == 0).ToArray());
        var fewLabels = ml.Data.LoadFromEnumerable(rows.Select((r, i) => i % (100 / LabelledPercent) == 0 ? r : new FortuneRow { Text = r.Text, Label = "" }).ToArray());
        Console.WriteLine($"\nEmbedding-bag students (32-wide embeddings of the first {FortunesText.StudentVocabulary:N0} words, linear head), {Epochs} epochs " +
                          $"and at least {MinimumSteps} steps of {BatchSize} rows, seed {Seed}; {LabelledPercent} % of the training rows labelled:");
        var watch = Stopwatch.StartNew();
        var scratch = labelToKey.Append(FortunesText.StudentTokens(ml))
            .Append(ml.MulticlassClassification.Trainers.Student(Options(null))).Fit(labelled);
        Report($"scratch on the {rows.Length / (100 / LabelledPercent)} labelled rows", scratch, test, teacherTop, ml, watch);

        watch.Restart();
        var distilled = labelToKey
            .Append(fortunes.Teacher(ml, tokenizer))                    // teacher columns: input_ids, attention_mask → TeacherLogits
            .Append(FortunesText.StudentTokens(ml))                     // student column: Features (word keys)
            .Append(ml.MulticlassClassification.Trainers.Student(Options("TeacherLogits"))).Fit(fewLabels);
        Report($"distilled on all {rows.Length} rows", distilled, test, teacherTop, ml, watch);
        var student = (StudentTransformer)distilled.LastTransformer;

        // Ship: the saved model holds the student's own tokenisation (NormalizeText, TokenizeIntoWords, MapValueToKey) and
        // the student, no teacher and no teacher tokenizer (both save as identity steps).
        Directory.CreateDirectory(outputDir);
        var modelPath = Path.Combine(outputDir, "text-student.zip");
        ml.Model.Save(distilled, fewLabels.Schema, modelPath);
        var scores = Vectors(distilled.Transform(test), "Score");
        float[][] reloaded;
        using (var loaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(modelPath, out _))
        {
            var reloadedOut = loaded.Transform(test);
            if (reloadedOut.Schema.GetColumnOrNull("input_ids") is not null) throw new InvalidOperationException("The saved model should not hold the teacher's tokenizer.");
            reloaded = Vectors(reloadedOut, "Score");
        }
        double reloadDiff = MaxDifference(scores, reloaded);

        // Standalone ONNX: int64 word ids [batch, 64], padded with 0 — the same ids MapValueToKey gives.
        var onnxPath = Path.Combine(outputDir, "text-student.onnx");
        student.ExportToOnnx(onnxPath);
        double onnxDiff = MaxDifference(scores, RunOnnx(onnxPath, KeyRows(distilled.Transform(test), "Features"), 64));
        Console.WriteLine($"\nStudent {student.Network}: {student.ParameterCount:N0} parameters.");
        Console.WriteLine($"Saved {modelPath} ({new FileInfo(modelPath).Length / 1024} KiB, no teacher inside); reloaded in a fresh MLContext, scores differ by at most {reloadDiff:G3}.");
        Console.WriteLine($"Exported {onnxPath} ({new FileInfo(onnxPath).Length / 1024} KiB); ONNX Runtime's probabilities within {onnxDiff:G3} of ML.NET's Score.");

        var report = DistillationReport.Create(ml, fortunes.TeacherPath, distilled, test, new DistillationReportOptions
        {
            Teacher = fortunes.TeacherOptions(),
            WarmupCalls = 20,
            LatencyCalls = 200,
        });
        Console.WriteLine();
        Console.WriteLine(report);
        Console.WriteLine($"Done in {total.Elapsed.TotalSeconds:F0} s.");
        return reloadDiff < 1e-5 && onnxDiff < 1e-5 ? 0 : 1;
    }

    private static void Report(string name, ITransformer model, IDataView test, int[] teacherTop, MLContext ml, Stopwatch watch)
    {
        var predictions = model.Transform(test);
        var metrics = ml.MulticlassClassification.Evaluate(predictions);
        var agreement = Agreement(TopClasses.Of(predictions, "Score"), teacherTop);
        Console.WriteLine($"  {name,-36} accuracy {metrics.MicroAccuracy:P1}  agreement with the teacher {agreement:P1}  ({watch.Elapsed.TotalSeconds:F0} s)");
    }

    /// <summary>The key column's raw values (word ids, 0 = unknown) per row, as a deployed app feeds the ONNX student.</summary>
    public static uint[][] KeyRows(IDataView data, string column)
    {
        var result = new List<uint[]>();
        using var cursor = data.GetRowCursor([data.Schema[column]]);
        var getter = cursor.GetGetter<VBuffer<uint>>(data.Schema[column]);
        VBuffer<uint> v = default;
        while (cursor.MoveNext())
        {
            getter(ref v);
            result.Add(v.DenseValues().ToArray());
        }
        return result.ToArray();
    }

    /// <summary>Runs the standalone student: ids cut or padded with 0 to <paramref name="maxTokens"/>, output "probabilities".</summary>
    private static float[][] RunOnnx(string onnxPath, uint[][] rows, int maxTokens)
    {
        using var session = new InferenceSession(onnxPath);
        var ids = new DenseTensor<long>([rows.Length, maxTokens]);
        for (int r = 0; r < rows.Length; r++)
            for (int t = 0; t < Math.Min(maxTokens, rows[r].Length); t++)
                ids[r, t] = rows[r][t];
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), ids)]);
        var probabilities = results.Single(o => o.Name == "probabilities").AsTensor<float>();
        int classes = (int)probabilities.Dimensions[1];
        return Enumerable.Range(0, rows.Length).Select(r => Enumerable.Range(0, classes).Select(k => probabilities[r, k]).ToArray()).ToArray();
    }

    public static float[][] Vectors(IDataView data, string column)
    {
        var result = new List<float[]>();
        using var cursor = data.GetRowCursor([data.Schema[column]]);
        var getter = cursor.GetGetter<VBuffer<float>>(data.Schema[column]);
        VBuffer<float> v = default;
        while (cursor.MoveNext())
        {
            getter(ref v);
            result.Add(v.DenseValues().ToArray());
        }
        return result.ToArray();
    }

    /// <summary>The label keys as class indices (key − 1; −1 for a missing label).</summary>
    public static int[] Labels(IDataView data)
    {
        var result = new List<int>();
        using var cursor = data.GetRowCursor([data.Schema["Label"]]);
        var getter = cursor.GetGetter<uint>(data.Schema["Label"]);
        uint key = 0;
        while (cursor.MoveNext()) { getter(ref key); result.Add((int)key - 1); }
        return result.ToArray();
    }

    private static long Count(IDataView data)
    {
        long n = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext()) n++;
        return n;
    }

    public static double Accuracy(int[] predicted, int[] labels) => predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length;
    public static double Agreement(int[] a, int[] b) => a.Zip(b).Count(p => p.First == p.Second) / (double)a.Length;
    private static double MaxDifference(float[][] a, float[][] b) => a.Zip(b, (x, y) => x.Zip(y, (p, q) => Math.Abs(p - q)).Max()).Max();
}
