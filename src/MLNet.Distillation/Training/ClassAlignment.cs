namespace MLNet.Distillation.Training;

/// <summary>How the student matches the label column's key order with the order of the teacher's outputs.</summary>
public enum ClassAlignment
{
    /// <summary>
    /// Default. Match by class names when the teacher column has them (<c>DistillOptions.ClassNames</c> or the ONNX
    /// metadata) and the label has key values; by value when integer labels 0…K−1 meet a teacher without names; otherwise
    /// by the evidence of the labelled rows (which teacher output wins on each label class). A key order that differs from
    /// the teacher's is aligned with a warning in <c>MLContext.Log</c> that shows the mapping; evidence that does not
    /// decide one mapping stops <c>Fit</c> with the mapping found and the fix.
    /// </summary>
    Auto,

    /// <summary>Like <see cref="Auto"/>, but a key order that differs from the teacher's stops <c>Fit</c> (with the mapping and the fix) instead of being aligned.</summary>
    Refuse,

    /// <summary>Trust that label key i (0-based) is teacher output i; no check.</summary>
    Off,
}
