namespace MLNet.Distillation.Losses;

// The factory of multi-teacher adversarial distillation (issue 15 item 5).
public abstract partial class DistillationLoss
{
    /// <summary>
    /// Multi-teacher adversarial distillation (MTARD, Zhao et al. 2023): clean rows learn from the clean teacher (the teacher
    /// column), adversarial rows (<c>TransferAugmentation.Adversarial</c>) from the robust teacher that labels them online,
    /// with entropy-balanced temperatures and normalised loss weights; see <see cref="RobustMultiTeacherLoss"/>.
    /// </summary>
    /// <param name="cleanTemperature">Initial temperature of the clean teacher (default 1).</param>
    /// <param name="robustTemperature">Initial temperature of the robust teacher (default 1).</param>
    /// <param name="temperatureRate">Rate of the entropy-based temperature balance per step (default 0.01; 0: fixed).</param>
    /// <param name="balanceWeights">Weigh the terms by their relative losses (default true).</param>
    public static RobustMultiTeacherLoss RobustMultiTeacher(double cleanTemperature = 1.0, double robustTemperature = 1.0, double temperatureRate = 0.01, bool balanceWeights = true)
        => new(cleanTemperature, robustTemperature, temperatureRate, balanceWeights);
}
