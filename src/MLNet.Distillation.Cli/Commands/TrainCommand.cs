using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNet.Distillation.Reporting;
using MLNet.Distillation.Students;
using Spectre.Console;

namespace MLNet.Distillation.Cli.Commands;

/// <summary><c>train</c>: features + labels + a teacher (or its soft-label cache) → <c>student.zip</c> and <c>student.onnx</c>.</summary>
public static class TrainCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext cli)
    {
        var data = CliOptions.Data("Training rows: CSV/TSV with a header line, or an ML.NET binary file (.idv).");
        var teacher = CliOptions.Teacher(false, "The ONNX teacher. Without it the student trains from the labels alone (the fair baseline).");
        var cache = new Option<FileInfo>("--cache") { Description = "Soft-label cache written by 'label' (or written here on first use): the teacher runs once for any number of students.", HelpName = "FILE.idv" };
        var label = CliOptions.Label();
        var features = CliOptions.Features();
        var ignore = CliOptions.Ignore();
        var group = CliOptions.Group();
        var separator = CliOptions.Separator();
        var task = CliOptions.Task();
        var classNames = CliOptions.ClassNames();
        var teacherBatch = CliOptions.TeacherBatch();
        var hidden = new Option<string>("--hidden") { Description = "Hidden layer widths, comma-separated (none: a linear student).", DefaultValueFactory = _ => "128", HelpName = "WIDTHS" };
        var epochs = new Option<int?>("--epochs") { Description = "Passes over the data (default: 20, or more until the fit makes 6,000 steps)." };
        var learningRate = new Option<double?>("--learning-rate") { Description = "Peak learning rate (default 0.001)." };
        var batchSize = new Option<int?>("--batch-size") { Description = "Rows per optimisation step (default 128)." };
        var loss = new Option<string>("--loss") { Description = $"Distillation loss: {string.Join(", ", LossChoice.Names)}. default: the teacher teaches the unlabelled rows, labelled rows learn their label.", DefaultValueFactory = _ => "default" };
        loss.AcceptOnlyFromAmong(LossChoice.Names);
        var temperature = new Option<double?>("--temperature") { Description = "Temperature of --loss (hinton, dkd: 4; others: 1)." };
        var alpha = new Option<double?>("--alpha") { Description = "Weight of the teacher's term in --loss hinton (0.9) or teacher-corrected (0.5)." };
        var validation = new Option<double>("--validation-fraction") { Description = "Rows held out to report a validation metric each epoch (0: none).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Random seed: same seed, data and options give the same student.", DefaultValueFactory = _ => 1 };
        var test = new Option<FileInfo>("--test") { Description = "Test rows (same columns): the student's metrics and, with a teacher, the teacher-vs-student report in OUTPUT/report (not for ranking).", HelpName = "FILE" };
        var output = CliOptions.OutputFolder("Folder for student.zip (ML.NET model), student.onnx and training.json.");

        var command = new Command("train", """
            Train a student: read the rows, run the teacher over them (or read its cache), fit a small MLP, and write
            OUTPUT/student.zip (load with mlContext.Model.Load; no teacher inside), OUTPUT/student.onnx and OUTPUT/training.json.

            Example (the bundled wine data and teacher):
              mlnet-distill train --data train.csv --teacher wine_mlp_teacher.onnx --ignore Split --hidden 32 --test test.csv --output wine-student
            """)
        {
            data, teacher, cache, label, features, ignore, group, separator, task, classNames, teacherBatch,
            hidden, epochs, learningRate, batchSize, loss, temperature, alpha, validation, seed, test, output,
        };
        command.SetAction((parse, cancel) => CliApp.RunCommand(cli, () =>
        {
            var ml = CliApp.NewContext(cli, parse.GetValue(seed));
            var studentTask = parse.GetValue(task);
            var teacherFile = parse.GetValue(teacher);
            var outputDir = parse.GetValue(output)!;
            var lossChoice = LossChoice.Parse(parse.GetValue(loss)!, parse.GetValue(temperature), parse.GetValue(alpha), studentTask);
            var hiddenLayers = ParseHidden(parse.GetValue(hidden)!);
            double validationFraction = parse.GetValue(validation);
            if (validationFraction is < 0 or >= 1) throw new InputException($"--validation-fraction {validationFraction} must be at least 0 and below 1 (typical: 0.1-0.2).");
            var testFile = parse.GetValue(test);
            if (testFile is { Exists: false }) throw new InputException($"Test file '{testFile.FullName}' was not found.");

            var (setup, model) = ProgressDisplay.Run(cli, progress =>
            {
                var setup = StudentSetup.Create(ml, parse.GetValue(data)!, parse.GetValue(separator), parse.GetValue(label), parse.GetValue(features),
                    parse.GetValue(ignore), parse.GetValue(group), studentTask, teacherFile, parse.GetValue(cache), parse.GetValue(classNames),
                    parse.GetValue(teacherBatch), progress, cancel);
                progress.ExpectedRows = setup.Selection.File.Rows > 0 ? setup.Selection.File.Rows : null;
                var options = setup.StudentOptions(progress, cancel);
                options.HiddenLayers = hiddenLayers;
                options.Loss = lossChoice;
                options.Seed = parse.GetValue(seed);
                options.ValidationFraction = validationFraction;
                if (parse.GetValue(epochs) is int e) options.Epochs = e;
                if (parse.GetValue(learningRate) is double lr) options.LearningRate = lr;
                if (parse.GetValue(batchSize) is int bs) options.BatchSize = bs;
                var model = setup.Prefix.Append(setup.Trainer(ml, options)).Append(setup.Suffix(ml)).Fit(setup.Data);
                return (setup, model);
            });
            using var disposeModel = model as IDisposable;
            var student = ((IEnumerable<ITransformer>)model).OfType<StudentTransformer>().Single();
            var result = ModelFiles.Save(ml, model, setup.Data.Schema, student, outputDir);

            if (testFile is not null)
            {
                var testData = setup.LoadOther(ml, testFile, parse.GetValue(separator));
                var metrics = TestMetrics.Evaluate(ml, studentTask, model.Transform(testData));
                result["test"] = metrics;
                if (studentTask != StudentTask.Ranking && teacherFile is not null)
                {
                    var report = DistillationReport.Create(ml, teacherFile.FullName, model, testData);
                    result["report"] = new JsonArray([.. report.Save(Path.Combine(outputDir.FullName, "report")).Select(f => (JsonNode)f)]);
                    result["teacherTest"] = studentTask == StudentTask.Regression
                        ? new JsonObject { ["rootMeanSquaredError"] = report.Teacher.RootMeanSquaredError }
                        : new JsonObject { ["accuracy"] = report.Teacher.Accuracy };
                }
            }
            Print(cli, student, result);
            cli.WriteResult(result);
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>Reads --hidden: "128", "64,32", or "none" for a linear student.</summary>
    public static int[] ParseHidden(string value)
    {
        if (value.Trim() is "none" or "") return [];
        var parts = value.Split(',', StringSplitOptions.TrimEntries);
        var widths = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out widths[i]) || widths[i] < 1)
                throw new InputException($"--hidden '{value}': '{parts[i]}' is not a width; give positive integers separated by commas (64,32), or none.");
        return widths;
    }

    private static string Format(string name, JsonNode? value) => value switch
    {
        JsonValue v when v.TryGetValue<double>(out var d) && name.Contains("ccuracy", StringComparison.Ordinal) => d.ToString("P2", CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue<double>(out var d) => d.ToString("G4", CultureInfo.InvariantCulture),
        null => "—",
        _ => value.ToJsonString(),
    };

    private static void Print(CliContext cli, StudentTransformer student, JsonObject result)
    {
        if (cli.Json) return;
        var table = new Table().AddColumns("", "").HideHeaders().Border(TableBorder.Simple);
        table.AddRow("student", Markup.Escape($"{student.Network} MLP, {student.ParameterCount:N0} parameters, loss {student.LossName}"));
        table.AddRow("trained", $"{student.History.Count} epochs in {student.TrainingTime.TotalSeconds:F1} s");
        if (result["test"] is JsonObject test)
            foreach (var (name, value) in test) table.AddRow($"test {Markup.Escape(name)}", Markup.Escape(Format(name, value)));
        if (result["teacherTest"] is JsonObject teacher)
            foreach (var (name, value) in teacher) table.AddRow($"teacher test {Markup.Escape(name)}", Markup.Escape(Format(name, value)));
        foreach (var file in result["files"]!.AsArray()) table.AddRow("wrote", Markup.Escape(file!.GetValue<string>()));
        if (result["report"] is JsonArray report)
            foreach (var file in report) table.AddRow("wrote", Markup.Escape(file!.GetValue<string>()));
        cli.Console.Write(table);
    }
}
