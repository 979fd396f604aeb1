namespace MLNet.Distillation.Cli;

/// <summary>An input the user gave is wrong (a file, a column, a value); its message says what was seen and what to do. Exit code <see cref="ExitCodes.InputError"/>.</summary>
public sealed class InputException(string message, Exception? inner = null) : Exception(message, inner);
