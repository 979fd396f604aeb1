namespace MLNet.Distillation.Losses;

/// <summary>The element-wise distance a regression loss uses between a student output and its target (a label or the teacher).</summary>
public enum RegressionDistance
{
    /// <summary>Squared error (s − y)²: the default; its minimiser is the conditional mean.</summary>
    Mse,

    /// <summary>Huber: ½(s − y)² within δ of the target, δ(|s − y| − ½δ) beyond; squared near the target, robust to outliers.</summary>
    Huber,

    /// <summary>Absolute error |s − y|; its minimiser is the conditional median.</summary>
    L1,
}
