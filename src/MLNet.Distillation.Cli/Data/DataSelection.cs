using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Cli.Data;

/// <summary>Which columns of a <see cref="TabularFile"/> are the label, the features and the group, as the options chose them.</summary>
public sealed class DataSelection
{
    private DataSelection(TabularFile file, int[]? label, int[] features, int? group)
    {
        File = file;
        Label = label;
        Features = features;
        Group = group;
    }

    /// <summary>The file.</summary>
    public TabularFile File { get; }

    /// <summary>The label's columns (several: a multi-output regression label); null: the file has no label.</summary>
    public int[]? Label { get; }

    /// <summary>The feature columns, in order.</summary>
    public int[] Features { get; }

    /// <summary>The group (query) column of a ranking task.</summary>
    public int? Group { get; }

    /// <summary>The feature column names, in order.</summary>
    public IEnumerable<string> FeatureNames => Features.Select(f => File.Header[f]);

    /// <summary>
    /// Chooses the columns. The label is <paramref name="labelSpec"/> (default <c>Label</c>; when that default is not in the
    /// file and <paramref name="labelOptional"/>, there is none). The features are <paramref name="featureSpec"/>, or every
    /// numeric column that is not the label, the group or in <paramref name="ignoreSpec"/>.
    /// </summary>
    public static DataSelection Choose(TabularFile file, string? labelSpec, bool labelOptional, string? featureSpec, string? ignoreSpec, string? groupSpec)
    {
        int[]? label = null;
        if (labelSpec is not null) label = ColumnSpec.Resolve(labelSpec, file.Header, "--label");
        else if (file.Header.Any(h => string.Equals(h, "Label", StringComparison.OrdinalIgnoreCase))) label = ColumnSpec.Resolve("Label", file.Header, "--label");
        else if (!labelOptional)
            throw new InputException($"Data file '{file.Path}' has no column 'Label'; name the label column with --label. The columns are: {string.Join(", ", file.Header)}.");
        int? group = groupSpec is null ? null : ColumnSpec.Resolve(groupSpec, file.Header, "--group") is [var g] ? g
            : throw new InputException("--group names one column (the query id of each row).");
        var ignored = ignoreSpec is null ? [] : ColumnSpec.Resolve(ignoreSpec, file.Header, "--ignore");
        int[] features;
        if (featureSpec is not null) features = ColumnSpec.Resolve(featureSpec, file.Header, "--features");
        else
        {
            features = [.. Enumerable.Range(0, file.Header.Count)
                .Where(i => file.Numeric[i] && !(label?.Contains(i) ?? false) && i != group && !ignored.Contains(i))];
            if (features.Length == 0)
                throw new InputException($"Data file '{file.Path}' has no numeric column left for the features after the label{(group is null ? "" : ", the group")} and --ignore; choose them with --features.");
        }
        var clash = features.FirstOrDefault(f => (label?.Contains(f) ?? false) || f == group, -1);
        if (clash >= 0) throw new InputException($"Column '{file.Header[clash]}' cannot be both a feature and the label or group; leave it out of --features.");
        return new DataSelection(file, label, features, group);
    }

    /// <summary>Loads the chosen columns as <c>Label</c>, <c>Features</c> and <c>GroupId</c>.</summary>
    public IDataView Load(MLContext ml, DataKind labelKind) => File.Load(ml, Label, labelKind, Features, Group);
}
