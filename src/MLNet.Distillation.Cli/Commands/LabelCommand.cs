using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Cli.Data;
using MLNet.Distillation.Teachers;

namespace MLNet.Distillation.Cli.Commands;

/// <summary><c>label</c>: the teacher pass over a data file into a soft-label cache that <c>train</c> and <c>auto</c> read.</summary>
public static class LabelCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext cli)
    {
        var data = CliOptions.Data("Rows to label: CSV/TSV with a header line, or an ML.NET binary file (.idv).");
        var teacher = CliOptions.Teacher(true, "The ONNX teacher.");
        var features = CliOptions.Features();
        var label = CliOptions.Label();
        var ignore = CliOptions.Ignore();
        var separator = CliOptions.Separator();
        var classNames = CliOptions.ClassNames();
        var teacherBatch = CliOptions.TeacherBatch();
        var precision = new Option<SoftLabelPrecision>("--precision") { Description = "Storage of the cached outputs: Float32 (exact) or Float16 (half the size).", DefaultValueFactory = _ => SoftLabelPrecision.Float32 };
        var topK = new Option<int?>("--top-k") { Description = "Keep only the k most probable classes per row (the rest of the probability spread evenly): for many-class teachers." };
        var output = new Option<FileInfo>("--output", "-o") { Description = "The soft-label cache to write (an ML.NET binary file); pass it to train --cache.", Required = true, HelpName = "FILE.idv" };

        var command = new Command("label", """
            Run the teacher over every row once and write its outputs to a soft-label cache (fingerprinted by the teacher and
            each row's features). 'train --cache FILE' then reads the outputs instead of running the teacher. The label
            column is not read; it only keeps the default features from including it.

            Example (the bundled wine data and teacher):
              mlnet-distill label --data train.csv --teacher wine_mlp_teacher.onnx --ignore Split --output wine-soft-labels.idv
            """)
        {
            data, teacher, features, label, ignore, separator, classNames, teacherBatch, precision, topK, output,
        };
        command.SetAction((parse, cancel) => CliApp.RunCommand(cli, () =>
        {
            var ml = CliApp.NewContext(cli, 1);
            var teacherFile = parse.GetValue(teacher)!;
            if (!teacherFile.Exists) throw new InputException($"Teacher model '{teacherFile.FullName}' was not found.");
            var outputFile = parse.GetValue(output)!;
            var file = TabularFile.Open(parse.GetValue(data)!.FullName, CliOptions.SeparatorValue(parse.GetValue(separator)), ml);
            var selection = DataSelection.Choose(file, parse.GetValue(label), labelOptional: true, parse.GetValue(features), parse.GetValue(ignore), null);
            var rows = selection.Load(ml, DataKind.String);
            if (outputFile.Exists)
                throw new InputException($"Soft-label cache '{outputFile.FullName}' exists already; delete it to label again (a cache is only ever read back, never overwritten).");
            var watch = Stopwatch.StartNew();
            long scored = ProgressDisplay.Run(cli, progress =>
            {
                progress.ExpectedRows = file.Rows > 0 ? file.Rows : null;
                var options = StudentSetup.TeacherOptions(teacherFile, outputFile, parse.GetValue(classNames), parse.GetValue(teacherBatch), progress, cancel);
                options.CachePrecision = parse.GetValue(precision);
                options.CacheTopK = parse.GetValue(topK);
                using var transformer = ml.Transforms.Distill(options).Fit(rows);
                var labelled = transformer.Transform(rows);
                // The first cursor that reads the teacher column runs the teacher over every row and writes the cache.
                var column = labelled.Schema[StudentSetup.TeacherColumn];
                using var cursor = labelled.GetRowCursor([column]);
                long count = 0;
                while (cursor.MoveNext()) count++;
                return count;
            });
            var result = new JsonObject
            {
                ["cache"] = outputFile.FullName,
                ["rows"] = scored,
                ["bytes"] = new FileInfo(outputFile.FullName).Length,
                ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 3),
                ["features"] = new JsonArray([.. selection.FeatureNames.Select(n => (JsonNode)n)]),
            };
            cli.Say($"Wrote [bold]{Spectre.Console.Markup.Escape(outputFile.FullName)}[/]: {scored:N0} rows labelled by {Spectre.Console.Markup.Escape(teacherFile.Name)} in {watch.Elapsed.TotalSeconds:F1} s ({result["bytes"]} bytes).");
            cli.WriteResult(result);
            return ExitCodes.Success;
        }));
        return command;
    }
}
