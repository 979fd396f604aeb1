namespace MLNet.Distillation.Training;

internal sealed partial class TrainingSet
{
    /// <summary>
    /// This set's rows as the slots of a shuffle buffer, which <see cref="Put"/> overwrites row by row: the same stores,
    /// columns, widths, task, teacher kinds, weights and class order, with the statistics of the whole data.
    /// </summary>
    /// <param name="scaling">The regression standardisation of the whole data (the rows put are already standardised with it).</param>
    /// <param name="hasLabels">Whether any row of the whole data has a label.</param>
    public TrainingSet AsSlots(TargetScaling? scaling, bool hasLabels)
    {
        if (_rows is not null) throw new InvalidOperationException("A view of rows cannot serve as slots; use a set read as it is.");
        return new TrainingSet(_s, Task, ClassCount, TeacherKind, TeacherKinds, TeacherWeights, TeacherOrder, scaling, hasLabels, null);
    }

    /// <summary>Overwrites row <paramref name="slot"/> of this set with row <paramref name="row"/> of <paramref name="from"/> (a set of the same shape), every column.</summary>
    public void Put(int slot, TrainingSet from, int row)
    {
        int source = from.Source(row), target = Source(slot);
        var (f, t) = (from._s, _s);
        f.Features[source].CopyTo(t.Features[target]);
        f.Labels[source].CopyTo(t.Labels[target]);
        if (f.Targets is not null) f.Targets[source].CopyTo(t.Targets![target]);
        if (f.Groups is not null) f.Groups[source].CopyTo(t.Groups![target]);
        if (f.Teacher is not null) f.Teacher[source].CopyTo(t.Teacher![target]);
        for (int i = 0; i < f.Teachers.Length; i++) f.Teachers[i][source].CopyTo(t.Teachers[i][target]);
        foreach (var (name, store) in f.Extras) store[source].CopyTo(t.Extras[name][target]);
    }

    /// <summary>The outputs of row <paramref name="row"/> of the first teacher read: the single teacher, or the first of those kept separate (regression target scaling without labels).</summary>
    public ReadOnlySpan<float> FirstTeacherRow(int row)
        => (_s.Teachers.Length > 0 ? _s.Teachers[0] : _s.Teacher ?? throw new InvalidOperationException("The training rows have no teacher column."))[Source(row)];
}
