using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Cli;

/// <summary>The losses <c>--loss</c> names (multiclass students; the other tasks take their task's default).</summary>
public static class LossChoice
{
    /// <summary>The names, for help and errors.</summary>
    public static readonly string[] Names = ["default", "hinton", "teacher-corrected", "dkd", "nkd", "reverse-kl", "jensen-shannon", "cross-entropy"];

    /// <summary>The loss for <paramref name="name"/>; null: the library's default for the task.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="temperature">--temperature, when given.</param>
    /// <param name="alpha">--alpha (the weight of the teacher's term), when given.</param>
    /// <param name="task">The student's task.</param>
    public static DistillationLoss? Parse(string name, double? temperature, double? alpha, StudentTask task)
    {
        if (name == "default")
        {
            if (temperature is not null || alpha is not null)
                throw new InputException("--temperature and --alpha set a named loss; the default loss has none. Add --loss hinton (or another) to use them.");
            return null;
        }
        if (task != StudentTask.Multiclass)
            throw new InputException($"--loss {name} is a multiclass loss; a {task.ToString().ToLowerInvariant()} student trains with its task's default loss (leave --loss out).");
        double t = temperature ?? 4.0;
        return name switch
        {
            "hinton" => DistillationLoss.Hinton(t, alpha ?? 0.9),
            "teacher-corrected" => DistillationLoss.TeacherCorrected(temperature ?? 1.0, alpha ?? 0.5),
            "dkd" => DistillationLoss.Dkd(temperature: t),
            "nkd" => DistillationLoss.Nkd(temperature ?? 1.0),
            "reverse-kl" => DistillationLoss.ReverseKl(temperature ?? 1.0),
            "jensen-shannon" => DistillationLoss.JensenShannon(temperature ?? 1.0),
            "cross-entropy" => DistillationLoss.CrossEntropy(),
            _ => throw new InputException($"--loss '{name}' is not one of: {string.Join(", ", Names)}."),
        };
    }
}
