namespace MLNet.Distillation.Cli;

/// <summary>What <c>mlnet-distill</c> returns to the shell.</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>Something failed that is not the input's fault (a bug, out of memory, a native library that did not load); run again with --verbose and report it.</summary>
    public const int InternalError = 1;

    /// <summary>The command line is wrong: an unknown command or option, a missing or malformed value. Nothing was read or written.</summary>
    public const int UsageError = 2;

    /// <summary>An input is wrong: a file that is missing or unreadable, a column that is not there or has the wrong type, a teacher that does not fit the data, a stale cache.</summary>
    public const int InputError = 3;

    /// <summary>Stopped by Ctrl+C; no partial output file is left (outputs are written atomically).</summary>
    public const int Cancelled = 130;
}
