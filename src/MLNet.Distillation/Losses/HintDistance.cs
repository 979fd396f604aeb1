namespace MLNet.Distillation.Losses;

/// <summary>How a hint (feature-distillation) loss compares the projected student layer with the teacher's embedding.</summary>
public enum HintDistance
{
    /// <summary>Mean squared error over rows and dimensions (FitNets); the default.</summary>
    Mse,

    /// <summary>1 − cos(p, t) per row, averaged: matches directions, ignores norms.</summary>
    Cosine,

    /// <summary>
    /// The ND loss (Wang et al. 2023): 1 − p·ê_c / max(‖p‖, ‖t‖), with ê_c the unit mean of the teacher's embeddings of
    /// the row's class; aligns the student's direction with the teacher's class mean and rewards a large norm. Labelled
    /// rows only.
    /// </summary>
    Nd,

    /// <summary>
    /// Distiller's MI-α objective (He et al. 2021): minus Poole et al.'s interpolated lower bound I_α on the mutual
    /// information between the student layer and the teacher's embedding over the batch, with a bilinear critic.
    /// </summary>
    MiAlpha,
}
