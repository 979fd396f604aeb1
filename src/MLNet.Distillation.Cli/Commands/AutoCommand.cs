using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNet.Distillation.Search;
using MLNet.Distillation.Students;
using Spectre.Console;

namespace MLNet.Distillation.Cli.Commands;

/// <summary><c>auto</c>: AutoDistill — a successive-halving search over losses, temperatures, weights, transfer sets and epochs, scratch included.</summary>
public static class AutoCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext cli)
    {
        var data = CliOptions.Data("Training rows: CSV/TSV with a header line, or an ML.NET binary file (.idv).");
        var teacher = CliOptions.Teacher(true, "The ONNX teacher.");
        var cache = new Option<FileInfo>("--cache") { Description = "Soft-label cache written by 'label': the teacher runs once for every trial.", HelpName = "FILE.idv" };
        var label = CliOptions.Label();
        var features = CliOptions.Features();
        var ignore = CliOptions.Ignore();
        var group = CliOptions.Group();
        var separator = CliOptions.Separator();
        var task = CliOptions.Task();
        var classNames = CliOptions.ClassNames();
        var teacherBatch = CliOptions.TeacherBatch();
        var hidden = new Option<string>("--hidden") { Description = "Hidden layer widths of every candidate, comma-separated.", DefaultValueFactory = _ => "128", HelpName = "WIDTHS" };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs of the last rung and of the refit (default: the student's default)." };
        var maxTrials = new Option<int?>("--max-trials") { Description = "Largest number of trials (default: no limit)." };
        var budget = new Option<double?>("--time-budget") { Description = "Seconds after which no new trial starts (makes the result depend on machine speed)." };
        var validation = new Option<double>("--validation-fraction") { Description = "Rows held out to rank the candidates; the winner is refit on all rows.", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
        var test = new Option<FileInfo>("--test") { Description = "Test rows (same columns): the winner's metrics and the teacher-vs-student report in OUTPUT/report.", HelpName = "FILE" };
        var output = CliOptions.OutputFolder("Folder for student.zip, student.onnx, training.json and autodistill.json (the leaderboard).");

        var command = new Command("auto", """
            Search the distillation settings with AutoDistill: successive halving over the task's losses × temperatures ×
            weights × learning rates (multiclass: also transfer sets) × epochs on a validation split, training from the labels
            alone always included,
            the default kept unless beaten beyond noise; the winner is refit on all rows and written as 'train' writes it.

            Example (the bundled wine data and teacher):
              mlnet-distill auto --data train.csv --teacher wine_mlp_teacher.onnx --ignore Split --hidden 32 --max-trials 12 --output wine-auto
            """)
        {
            data, teacher, cache, label, features, ignore, group, separator, task, classNames, teacherBatch, hidden, epochs, maxTrials, budget, validation, seed, test, output,
        };
        command.SetAction((parse, cancel) => CliApp.RunCommand(cli, () =>
        {
            var ml = CliApp.NewContext(cli, parse.GetValue(seed));
            var studentTask = parse.GetValue(task);
            var outputDir = parse.GetValue(output)!;
            var hiddenLayers = TrainCommand.ParseHidden(parse.GetValue(hidden)!);
            if (parse.GetValue(maxTrials) is < 1) throw new InputException($"--max-trials {parse.GetValue(maxTrials)} must be at least 1.");
            if (parse.GetValue(budget) is <= 0) throw new InputException($"--time-budget {parse.GetValue(budget)} must be a positive number of seconds.");
            var testFile = parse.GetValue(test);
            if (testFile is { Exists: false }) throw new InputException($"Test file '{testFile.FullName}' was not found.");

            var (setup, model) = ProgressDisplay.Run(cli, progress =>
            {
                var setup = StudentSetup.Create(ml, parse.GetValue(data)!, parse.GetValue(separator), parse.GetValue(label), parse.GetValue(features),
                    parse.GetValue(ignore), parse.GetValue(group), studentTask, parse.GetValue(teacher), parse.GetValue(cache), parse.GetValue(classNames),
                    parse.GetValue(teacherBatch), progress, cancel);
                progress.ExpectedRows = setup.Selection.File.Rows > 0 ? setup.Selection.File.Rows : null;
                var student = setup.StudentOptions(progress, cancel);
                student.HiddenLayers = hiddenLayers;
                student.Seed = parse.GetValue(seed);
                if (parse.GetValue(epochs) is int e) student.Epochs = e;
                var options = new AutoDistillOptions
                {
                    Student = student,
                    ValidationFraction = parse.GetValue(validation),
                    MaxTrials = parse.GetValue(maxTrials),
                    TimeBudget = parse.GetValue(budget) is double s ? TimeSpan.FromSeconds(s) : null,
                    Progress = progress.Trial,
                    CancellationToken = cancel,
                };
                IEstimator<ITransformer> search = studentTask switch
                {
                    StudentTask.Multiclass => ml.MulticlassClassification.Trainers.AutoDistill(options),
                    StudentTask.Binary => ml.BinaryClassification.Trainers.AutoDistill(options),
                    StudentTask.Regression => ml.Regression.Trainers.AutoDistill(options),
                    _ => ml.Ranking.Trainers.AutoDistill(options),
                };
                var model = setup.Prefix.Append(search).Append(setup.Suffix(ml)).Fit(setup.Data);
                return (setup, model);
            });
            using var disposeModel = model as IDisposable;
            var winner = ((IEnumerable<ITransformer>)model).OfType<StudentTransformer>().Single();
            var result = ModelFiles.Save(ml, model, setup.Data.Schema, winner, outputDir);
            var search = winner.AutoDistill!;
            var leaderboard = Path.Combine(outputDir.FullName, "autodistill.json");
            search.SaveJson(leaderboard);
            result["files"]!.AsArray().Add(leaderboard);
            result["winner"] = search.Winner;
            result["reason"] = search.Reason;
            result["trials"] = search.Trials.Count;
            if (testFile is not null)
            {
                var testData = setup.LoadOther(ml, testFile, parse.GetValue(separator));
                result["test"] = TestMetrics.Evaluate(ml, studentTask, model.Transform(testData));
            }
            if (!cli.Json)
            {
                cli.Console.WriteLine(search.ToMarkdown());
                cli.Say($"Winner: [bold]{Markup.Escape(search.Winner)}[/] ({Markup.Escape(search.Reason)})");
                if (result["test"] is JsonObject t) cli.Say($"Test: {Markup.Escape(t.ToJsonString())}");
                foreach (var f in result["files"]!.AsArray()) cli.Say($"Wrote {Markup.Escape(f!.GetValue<string>())}");
            }
            cli.WriteResult(result);
            return ExitCodes.Success;
        }));
        return command;
    }
}
