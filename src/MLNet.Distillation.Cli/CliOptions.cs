using System.CommandLine;

namespace MLNet.Distillation.Cli;

/// <summary>The options several commands share, made fresh for each command.</summary>
public static class CliOptions
{
    /// <summary>--data: the training (or scored) file.</summary>
    public static Option<FileInfo> Data(string description) => new("--data", "-d") { Description = description, Required = true, HelpName = "FILE" };

    /// <summary>--teacher: the ONNX teacher.</summary>
    public static Option<FileInfo> Teacher(bool required, string description) => new("--teacher", "-t") { Description = description, Required = required, HelpName = "FILE.onnx" };

    /// <summary>--label: the label column(s).</summary>
    public static Option<string> Label() => new("--label", "-l")
    {
        Description = "Label column (default: the column named Label; without one, rows learn from the teacher alone). Several columns (A,B or A..D) make a multi-output regression label.",
        HelpName = "COLUMNS",
    };

    /// <summary>--features: the feature columns.</summary>
    public static Option<string> Features() => new("--features", "-f")
    {
        Description = "Feature columns, in the order the teacher reads them: names separated by commas, ranges in header order FIRST..LAST (default: every numeric column but the label, the group and --ignore).",
        HelpName = "COLUMNS",
    };

    /// <summary>--ignore: columns left out of the default features.</summary>
    public static Option<string> Ignore() => new("--ignore") { Description = "Columns left out of the default features (ids, split markers).", HelpName = "COLUMNS" };

    /// <summary>--group: the ranking query column.</summary>
    public static Option<string> Group() => new("--group") { Description = "Ranking only: the column with each row's group (query) id, an integer.", HelpName = "COLUMN" };

    /// <summary>--separator: the text separator.</summary>
    public static Option<string> Separator() => new("--separator")
    {
        Description = "Field separator of a text file: , ; | or tab (default: tab for .tsv, else the first of tab , ; | in the header line).",
        HelpName = "CHAR",
    };

    /// <summary>--task: what the student predicts.</summary>
    public static Option<StudentTask> Task() => new("--task")
    {
        Description = "What the student predicts: multiclass, binary, regression or ranking.",
        DefaultValueFactory = _ => StudentTask.Multiclass,
    };

    /// <summary>--class-names: the teacher's classes in output order.</summary>
    public static Option<string> ClassNames() => new("--class-names")
    {
        Description = "Multiclass: the teacher's classes in the order of its outputs (a,b,c), so that the label's class names are matched to them by name (default: the ONNX metadata, integer labels or the evidence of the labelled rows).",
        HelpName = "NAMES",
    };

    /// <summary>--batch-size of the teacher.</summary>
    public static Option<int> TeacherBatch() => new("--teacher-batch") { Description = "Rows per ONNX Runtime call of the teacher.", DefaultValueFactory = _ => 256 };

    /// <summary>--output: a folder.</summary>
    public static Option<DirectoryInfo> OutputFolder(string description) => new("--output", "-o") { Description = description, Required = true, HelpName = "DIR" };

    /// <summary>Reads --separator.</summary>
    public static char? SeparatorValue(string? value) => value switch
    {
        null => null,
        "tab" or "\\t" or "\t" => '\t',
        { Length: 1 } s when ",;|".Contains(s[0]) => s[0],
        _ => throw new InputException($"--separator '{value}' is not one of , ; | tab."),
    };
}
