using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace MLNet.Distillation.Cli;

/// <summary>Where a command writes: people read <see cref="Console"/> (tables, progress bars); with --json, programs read one JSON object on <see cref="Out"/>.</summary>
public sealed class CliContext
{
    /// <summary>The terminal for people: results, progress bars, warnings.</summary>
    public required IAnsiConsole Console { get; init; }

    /// <summary>Standard output as text, for --json.</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Standard error: errors, and with --json nothing else.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>--json: one JSON object on standard output, no progress bars.</summary>
    public bool Json { get; set; }

    /// <summary>--verbose: ML.NET's log lines and full exception details.</summary>
    public bool Verbose { get; set; }

    /// <summary>Writes a command's result: the JSON object with --json, else nothing (the command printed it for people).</summary>
    public void WriteResult(JsonObject result)
    {
        if (Json) Out.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>A line for people (not with --json), with Spectre markup.</summary>
    public void Say(string markup)
    {
        if (!Json) Console.MarkupLine(markup);
    }
}
