using System.Text.Json.Nodes;
using Spectre.Console;

namespace MLNet.Distillation.Cli.Tests;

/// <summary>One in-process run of mlnet-distill: its exit code and what it wrote to standard output and error.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    /// <summary>Runs the command line in <paramref name="folder"/>'s terms (paths are given absolute by the tests).</summary>
    /// <param name="interactive">Draw progress bars as on a terminal (ANSI frames into the captured output).</param>
    public static CliRun Of(bool interactive, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = interactive ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        int code = CliApp.Run(args, new CliContext { Console = console, Out = output, Error = error });
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs without a terminal.</summary>
    public static CliRun Of(params string[] args) => Of(false, args);

    /// <summary>The --json result.</summary>
    public JsonObject Json => JsonNode.Parse(Out)!.AsObject();
}
