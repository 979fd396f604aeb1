namespace MLNet.Distillation.Teachers;

/// <summary>How a soft-label cache (<see cref="DistillOptions.CachePath"/>) stores teacher outputs.</summary>
public enum SoftLabelPrecision
{
    /// <summary>32-bit floats: the cache serves exactly what the teacher computed.</summary>
    Float32,

    /// <summary>
    /// 16-bit floats (IEEE half precision, about 3 significant digits; magnitudes beyond 65504 are clamped): half the size.
    /// See docs/teachers.md for the measured effect on soft labels.
    /// </summary>
    Float16,
}
