namespace MLNet.Distillation.Cli.Data;

/// <summary>
/// Parses a list of header columns as given on the command line: names separated by commas, and inclusive ranges in header
/// order written <c>FIRST..LAST</c> (<c>F0..F12</c>). Names are matched exactly, then ignoring case.
/// </summary>
public static class ColumnSpec
{
    /// <summary>The header positions that <paramref name="spec"/> names, in the order given.</summary>
    /// <param name="spec">The option's value, e.g. <c>F0..F12,Extra</c>.</param>
    /// <param name="header">The file's column names.</param>
    /// <param name="option">The option's name, for the error message.</param>
    /// <exception cref="InputException">A name that is not in the header, or a range that runs backwards.</exception>
    public static int[] Resolve(string spec, IReadOnlyList<string> header, string option)
    {
        var result = new List<int>();
        foreach (var raw in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int dots = raw.IndexOf("..", StringComparison.Ordinal);
            if (dots < 0) { result.Add(Find(raw, header, option)); continue; }
            int first = Find(raw[..dots], header, option), last = Find(raw[(dots + 2)..], header, option);
            if (last < first)
                throw new InputException($"{option} '{raw}': column '{header[last]}' comes before '{header[first]}' in the header; write the range in header order ({header[last]}..{header[first]}).");
            for (int i = first; i <= last; i++) result.Add(i);
        }
        if (result.Count == 0) throw new InputException($"{option} names no column; give names separated by commas or a range FIRST..LAST.");
        var duplicate = result.GroupBy(i => i).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InputException($"{option} names column '{header[duplicate.Key]}' twice.");
        return [.. result];
    }

    private static int Find(string name, IReadOnlyList<string> header, string option)
    {
        for (int i = 0; i < header.Count; i++) if (header[i] == name) return i;
        for (int i = 0; i < header.Count; i++) if (string.Equals(header[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        throw new InputException($"{option}: there is no column '{name}' in the header. The columns are: {string.Join(", ", header)}.");
    }
}
