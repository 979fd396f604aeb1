namespace MLNet.Distillation.Cli;

/// <summary>What the student predicts (<c>--task</c>).</summary>
public enum StudentTask
{
    /// <summary>One of K classes; the label is text (a class name) or a number; empty = no label.</summary>
    Multiclass,

    /// <summary>Yes/no; the label is 0/1 (or true/false); empty = no label.</summary>
    Binary,

    /// <summary>One number, or several (several --label columns); empty = no label.</summary>
    Regression,

    /// <summary>Scores to order the rows of each group (--group); the label is a relevance grade.</summary>
    Ranking,
}
