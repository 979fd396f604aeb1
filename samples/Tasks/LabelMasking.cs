namespace MLNet.Distillation.Samples.Tasks;

/// <summary>
/// The label-scarce setting as files: a seeded fraction of the training rows keeps its label (ranking: whole groups,
/// as a query is judged or not), every other row's label cells become <c>NaN</c> — "no label" for every student
/// trainer. Also the labelled rows alone, for the scratch student of that setting.
/// </summary>
static class LabelMasking
{
    /// <summary>
    /// Writes <paramref name="masked"/> (all rows, NaN labels on the unlabelled ones) and <paramref name="labelledOnly"/>
    /// (the labelled rows alone) from <paramref name="csv"/>; returns the number of labelled rows.
    /// </summary>
    public static int Write(TaskFolder task, string csv, double fraction, int seed, string masked, string labelledOnly)
    {
        var lines = File.ReadAllLines(csv);
        var rows = lines.Skip(1).Where(l => l.Length > 0).ToArray();
        // Units that keep or lose their labels together: rows, or groups for ranking.
        var unitOf = rows.Select((r, i) => task.Grouped ? r[..r.IndexOf(',')] : i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var units = unitOf.Distinct().ToArray();
        int keep = Math.Max(1, (int)Math.Round(units.Length * fraction));
        var random = new Random(seed);
        var kept = units.OrderBy(_ => random.Next()).Take(keep).ToHashSet();

        var maskedLines = new List<string> { lines[0] };
        var labelledLines = new List<string> { lines[0] };
        int labelled = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            if (kept.Contains(unitOf[i]))
            {
                maskedLines.Add(rows[i]);
                labelledLines.Add(rows[i]);
                labelled++;
                continue;
            }
            var cells = rows[i].Split(',');
            for (int c = task.FirstLabel; c < task.FirstFeature; c++) cells[c] = "NaN";
            maskedLines.Add(string.Join(',', cells));
        }
        WriteAtomically(masked, maskedLines);
        WriteAtomically(labelledOnly, labelledLines);
        return labelled;
    }

    private static void WriteAtomically(string path, IEnumerable<string> lines)
    {
        var tmp = path + ".tmp";
        File.WriteAllLines(tmp, lines);
        File.Move(tmp, path, overwrite: true);
    }
}
