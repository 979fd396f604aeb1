using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.Distillation.Cli.Commands;
using Spectre.Console;

namespace MLNet.Distillation.Cli;

/// <summary>The <c>mlnet-distill</c> command line: its commands, and how a failure becomes a readable message and an exit code.</summary>
public static class CliApp
{
    /// <summary>Parses <paramref name="args"/>, runs the command and returns the exit code (<see cref="ExitCodes"/>).</summary>
    /// <param name="args">The command line.</param>
    /// <param name="cli">Where to write; <see cref="Console"/>-backed for the real tool, writers for tests.</param>
    public static int Run(string[] args, CliContext cli)
    {
        var root = Build(cli);
        var parse = root.Parse(args);
        cli.Json = parse.GetValue<bool>("--json");
        cli.Verbose = parse.GetValue<bool>("--verbose");
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) cli.Error.WriteLine($"error: {error.Message}");
            cli.Error.WriteLine($"Run '{string.Join(' ', ["mlnet-distill", .. parse.CommandResult.Command == root ? [] : new[] { parse.CommandResult.Command.Name }])} --help' for the options and an example.");
            return ExitCodes.UsageError;
        }
        return parse.Invoke(new InvocationConfiguration { Output = cli.Out, Error = cli.Error, EnableDefaultExceptionHandler = false });
    }

    /// <summary>The root command with every command.</summary>
    public static RootCommand Build(CliContext cli)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object (the result, or {\"error\": ...}) instead of tables and progress bars.", Recursive = true };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print ML.NET's log and, on failure, the full exception with its stack trace.", Recursive = true };
        var root = new RootCommand("""
            mlnet-distill: knowledge distillation for ML.NET from the shell. Run an ONNX teacher over a CSV/TSV file, train a small
            student on its soft labels, and ship it as an ML.NET model (student.zip) and a standalone ONNX file (student.onnx).

            Exit codes: 0 done, 1 internal error, 2 wrong command line, 3 wrong input (file, column, value), 130 cancelled.
            Example: mlnet-distill train --data train.csv --teacher teacher.onnx --test test.csv --output student
            """)
        {
            json, verbose,
            LabelCommand.Create(cli), TrainCommand.Create(cli), AutoCommand.Create(cli), ReportCommand.Create(cli), ExportCommand.Create(cli),
        };
        return root;
    }

    /// <summary>A context with the seed; ML.NET's messages go to standard error (warnings always, everything with --verbose, nothing with --json unless --verbose).</summary>
    public static MLContext NewContext(CliContext cli, int? seed)
    {
        var ml = new MLContext(seed);
        ml.Log += (_, e) =>
        {
            bool warning = e.Kind is ChannelMessageKind.Warning or ChannelMessageKind.Error;
            if (cli.Verbose || (warning && !cli.Json && e.Source.StartsWith("Student", StringComparison.Ordinal)))
                cli.Warn($"{(warning ? "warning" : "log")}: {e.RawMessage}");
        };
        return ml;
    }

    /// <summary>Runs a command's body, turning exceptions into a message on standard error (or a JSON error) and an exit code.</summary>
    public static Task<int> RunCommand(CliContext cli, Func<int> body)
    {
        try
        {
            return Task.FromResult(body());
        }
        catch (Exception e)
        {
            var (code, kind) = Classify(e);
            var message = code == ExitCodes.InternalError
                ? $"{e.GetType().Name}: {e.Message}{(cli.Verbose ? "" : " (run again with --verbose for the stack trace, and report it)")}"
                : e.Message;
            if (cli.Json)
                cli.Out.WriteLine(new System.Text.Json.Nodes.JsonObject { ["error"] = message, ["kind"] = kind, ["exitCode"] = code }.ToJsonString());
            cli.Error.WriteLine($"error: {message}");
            if (cli.Verbose) cli.Error.WriteLine(e.ToString());
            return Task.FromResult(code);
        }
    }

    private static (int Code, string Kind) Classify(Exception e) => e switch
    {
        OperationCanceledException => (ExitCodes.Cancelled, "cancelled"),
        InputException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException or UnauthorizedAccessException
            or ArgumentException or FormatException => (ExitCodes.InputError, "input"),
        InvalidOperationException { InnerException: { } inner } => Classify(inner),
        _ => (ExitCodes.InternalError, "internal"),
    };

    /// <summary>The real console: Spectre on the terminal (plain text when redirected).</summary>
    public static CliContext ForConsole() => new()
    {
        Console = AnsiConsole.Console,
        Out = System.Console.Out,
        Error = System.Console.Error,
    };
}
