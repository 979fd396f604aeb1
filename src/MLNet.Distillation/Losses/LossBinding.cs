namespace MLNet.Distillation.Losses;

/// <summary>
/// What a loss learns about the student and the data before training (<see cref="DistillationLoss.Bind"/>), so that it
/// can size the trainable parts it owns.
/// </summary>
/// <param name="Task">The student's task.</param>
/// <param name="Outputs">Width of the student's output (classes, 1, or regression outputs).</param>
/// <param name="StudentLayerWidths">Width of each of the student's hidden representations, in the order of <see cref="LossContext.StudentLayers"/>.</param>
/// <param name="PenultimateWidth">Width of <see cref="LossContext.Penultimate"/> (the last hidden layer, or the inputs of a student without one).</param>
/// <param name="TeacherColumnWidths">Width of each extra teacher column (<see cref="DistillationLoss.TeacherColumns"/>) by name.</param>
/// <param name="Seed">The fit's seed, for initialising the loss's parts reproducibly.</param>
public sealed record LossBinding(DistillationTask Task, int Outputs, IReadOnlyList<int> StudentLayerWidths, int PenultimateWidth,
    IReadOnlyDictionary<string, int> TeacherColumnWidths, int Seed)
{
    /// <summary>
    /// Resolves a student layer index: 0…n−1 from the first hidden layer, −1…−n from the last (−1 = the penultimate
    /// representation); throws a message naming the layer count otherwise.
    /// </summary>
    /// <param name="index">The index a loss was given.</param>
    /// <param name="what">The loss, for the message.</param>
    public int ResolveLayer(int index, string what)
    {
        int n = StudentLayerWidths.Count;
        int resolved = index < 0 ? n + index : index;
        if (n == 0 || resolved < 0 || resolved >= n)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{what} reads student layer {index}, but the student has {n} hidden layer(s)" +
                (n == 0 ? " (set StudentOptions.HiddenLayers)." : $" (use 0…{n - 1}, or −1…−{n} from the last)."));
        return resolved;
    }

    /// <summary>The width of extra teacher column <paramref name="column"/>, or a message naming the columns read.</summary>
    /// <param name="column">The column a loss reads.</param>
    public int TeacherWidth(string column)
        => TeacherColumnWidths.TryGetValue(column, out var w) ? w
            : throw new ArgumentException($"Teacher column '{column}' was not read for this loss; the trainer read [{string.Join(", ", TeacherColumnWidths.Keys)}]. List it in DistillationLoss.TeacherColumns.", nameof(column));
}
