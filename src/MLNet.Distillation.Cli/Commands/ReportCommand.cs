using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Cli.Data;
using Spectre.Console;

namespace MLNet.Distillation.Cli.Commands;

/// <summary>
/// <c>report</c>: a saved multiclass student against its teacher on a test file — accuracy, top-1 agreement, size — as
/// Markdown and JSON. Classes are compared by name (the student predicts class names; the teacher's come from
/// --class-names or its ONNX metadata), so the two never disagree over a class order.
/// </summary>
public static class ReportCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext cli)
    {
        var teacher = CliOptions.Teacher(true, "The ONNX teacher.");
        var model = new Option<FileInfo>("--model", "-m") { Description = "The saved student (student.zip from train or auto).", Required = true, HelpName = "FILE.zip" };
        var data = CliOptions.Data("Test rows, with the columns the student was trained on (CSV/TSV with a header, or .idv).");
        var label = CliOptions.Label();
        var features = CliOptions.Features();
        var ignore = CliOptions.Ignore();
        var separator = CliOptions.Separator();
        var classNames = CliOptions.ClassNames();
        var teacherBatch = CliOptions.TeacherBatch();
        var output = CliOptions.OutputFolder("Folder for report.md and report.json.");
        var command = new Command("report", """
            Compare a saved multiclass student with its teacher on test rows: accuracy of each, how often the student's class
            is the teacher's (top-1 agreement) and their sizes, written as OUTPUT/report.md and OUTPUT/report.json. The full
            report with calibration, latency and PNG plots is written by 'train --test' (it needs the student in memory).

            Example (the bundled wine data and teacher; wine-student from the 'train' example):
              mlnet-distill report --teacher wine_mlp_teacher.onnx --model wine-student/student.zip --data test.csv --ignore Split --class-names class_0,class_1,class_2 --output wine-report
            """)
        {
            teacher, model, data, label, features, ignore, separator, classNames, teacherBatch, output,
        };
        command.SetAction((parse, cancel) => CliApp.RunCommand(cli, () =>
        {
            var ml = CliApp.NewContext(cli, 1);
            var teacherFile = parse.GetValue(teacher)!;
            var modelFile = parse.GetValue(model)!;
            if (!teacherFile.Exists) throw new InputException($"Teacher model '{teacherFile.FullName}' was not found.");
            var student = ml.Model.LoadStudent(modelFile.FullName, out _);
            using var disposeStudent = student as IDisposable;
            var file = TabularFile.Open(parse.GetValue(data)!.FullName, CliOptions.SeparatorValue(parse.GetValue(separator)), ml);
            var selection = DataSelection.Choose(file, parse.GetValue(label), labelOptional: true, parse.GetValue(features), parse.GetValue(ignore), null);
            var test = selection.Load(ml, DataKind.String);
            // The saved model turns Label into its key; the comparison reads the label as the file gives it.
            if (selection.Label is not null) test = ml.Transforms.CopyColumns(LabelText, "Label").Fit(test).Transform(test);
            var scored = student.Transform(test);
            if (scored.Schema.GetColumnOrNull("PredictedValue") is not { Type: TextDataViewType })
                throw new InputException($"Model '{modelFile.FullName}' does not predict class names (no text column PredictedValue): 'report' compares multiclass students written by 'train' or 'auto' with a label.");
            var comparison = ProgressDisplay.Run(cli, progress =>
            {
                progress.ExpectedRows = file.Rows > 0 ? file.Rows : null;
                var options = StudentSetup.TeacherOptions(teacherFile, null, parse.GetValue(classNames), parse.GetValue(teacherBatch), progress, cancel);
                using var distill = ml.Transforms.Distill(options).Fit(scored);
                return Compare(distill.Transform(scored), selection.Label is not null);
            });
            var result = new JsonObject
            {
                ["teacher"] = teacherFile.FullName,
                ["student"] = modelFile.FullName,
                ["rows"] = comparison.Rows,
                ["labelledRows"] = comparison.Labelled,
                ["teacherAccuracy"] = comparison.TeacherAccuracy,
                ["studentAccuracy"] = comparison.StudentAccuracy,
                ["agreement"] = comparison.Agreement,
                ["teacherBytes"] = teacherFile.Length,
                ["studentOnnxBytes"] = Export.StudentOnnxExporter.ToOnnx(Export.SavedStudent.Read(modelFile.FullName).Network).LongLength,
                ["studentZipBytes"] = modelFile.Length,
            };
            var folder = parse.GetValue(output)!;
            folder.Create();
            var md = Path.Combine(folder.FullName, "report.md");
            var json = Path.Combine(folder.FullName, "report.json");
            AtomicOutput.WriteText(md, Markdown(result));
            AtomicOutput.WriteText(json, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            result["files"] = new JsonArray(md, json);
            if (!cli.Json)
            {
                cli.Console.Write(new Markup(Markup.Escape(Markdown(result))));
                cli.Say($"Wrote {Markup.Escape(md)} and {Markup.Escape(json)}.");
            }
            cli.WriteResult(result);
            return ExitCodes.Success;
        }));
        return command;
    }

    private const string LabelText = "ReportLabelText";

    private sealed record Comparison(long Rows, long Labelled, double? TeacherAccuracy, double? StudentAccuracy, double Agreement);

    private static Comparison Compare(IDataView data, bool hasLabel)
    {
        var teacherColumn = data.Schema[StudentSetup.TeacherColumn];
        var names = new VBuffer<ReadOnlyMemory<char>>();
        if (!teacherColumn.HasSlotNames())
            throw new InputException("The teacher's class names are unknown (its ONNX metadata names none): give them in the order of its outputs with --class-names.");
        teacherColumn.GetSlotNames(ref names);
        var teacherNames = names.DenseValues().Select(n => n.ToString()).ToArray();
        var columns = new List<DataViewSchema.Column> { teacherColumn, data.Schema["PredictedValue"] };
        if (hasLabel) columns.Add(data.Schema[LabelText]);
        using var cursor = data.GetRowCursor(columns);
        var getTeacher = cursor.GetGetter<VBuffer<float>>(teacherColumn);
        var getStudent = cursor.GetGetter<ReadOnlyMemory<char>>(data.Schema["PredictedValue"]);
        var getLabel = hasLabel ? cursor.GetGetter<ReadOnlyMemory<char>>(data.Schema[LabelText]) : null;
        VBuffer<float> t = default;
        ReadOnlyMemory<char> s = default, l = default;
        long rows = 0, labelled = 0, teacherRight = 0, studentRight = 0, agree = 0;
        while (cursor.MoveNext())
        {
            getTeacher(ref t);
            getStudent(ref s);
            var values = t.DenseValues().ToArray();
            string teacherClass = teacherNames[Array.IndexOf(values, values.Max())], studentClass = s.ToString();
            rows++;
            if (teacherClass == studentClass) agree++;
            if (getLabel is null) continue;
            getLabel(ref l);
            if (l.IsEmpty) continue;
            labelled++;
            if (teacherClass == l.ToString()) teacherRight++;
            if (studentClass == l.ToString()) studentRight++;
        }
        if (rows == 0) throw new InputException("The test file has no rows.");
        return new Comparison(rows, labelled, labelled == 0 ? null : (double)teacherRight / labelled, labelled == 0 ? null : (double)studentRight / labelled, (double)agree / rows);
    }

    private static string Markdown(JsonObject r)
    {
        var inv = CultureInfo.InvariantCulture;
        string Pct(string key) => r[key] is JsonValue v ? v.GetValue<double>().ToString("P2", inv) : "—";
        var sb = new StringBuilder();
        sb.AppendLine("| | teacher | student |");
        sb.AppendLine("| --- | ---: | ---: |");
        sb.AppendLine($"| test accuracy ({r["labelledRows"]} labelled rows) | {Pct("teacherAccuracy")} | {Pct("studentAccuracy")} |");
        sb.AppendLine($"| ONNX size | {r["teacherBytes"]!.GetValue<long>().ToString("N0", inv)} bytes | {r["studentOnnxBytes"]!.GetValue<long>().ToString("N0", inv)} bytes |");
        sb.AppendLine($"| top-1 agreement with the teacher ({r["rows"]} rows) | | {Pct("agreement")} |");
        return sb.ToString();
    }
}
