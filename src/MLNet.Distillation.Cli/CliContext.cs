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

    private List<string>? _heldWarnings;

    /// <summary>
    /// A warning line on standard error. While progress bars are drawn it is held and written when they end: a line
    /// written between two frames of the live display would be torn apart by the next frame.
    /// </summary>
    public void Warn(string line)
    {
        lock (this)
        {
            if (_heldWarnings is not null) _heldWarnings.Add(line);
            else Error.WriteLine(line);
        }
    }

    /// <summary>Holds warnings until <see cref="ReleaseWarnings"/> (while progress bars are drawn).</summary>
    public void HoldWarnings()
    {
        lock (this) _heldWarnings ??= [];
    }

    /// <summary>Writes the warnings held since <see cref="HoldWarnings"/>.</summary>
    public void ReleaseWarnings()
    {
        lock (this)
        {
            foreach (var line in _heldWarnings ?? []) Error.WriteLine(line);
            _heldWarnings = null;
        }
    }

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
