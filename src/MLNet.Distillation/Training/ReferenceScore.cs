namespace MLNet.Distillation.Training;

/// <summary>Which class <see cref="DataStrategy.ReferenceSelection"/> scores with the teacher and the reference model.</summary>
public enum ReferenceScore
{
    /// <summary>The row's label; on rows without a label, the teacher's top class.</summary>
    LabelLikelihood,
    /// <summary>Always the teacher's top class (what the student is taught on the row).</summary>
    TeacherPrediction,
}
