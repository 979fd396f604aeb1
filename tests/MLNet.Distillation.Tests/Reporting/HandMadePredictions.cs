namespace MLNet.Distillation.Tests.Reporting;

/// <summary>
/// Six hand-made rows of 3-class probabilities with answers worked out by hand (no confidence lies on a bin edge of 5 bins).
/// Row 5 has no label; the teacher's row 5 is a tie (arg-max 0) with a zero probability.
/// </summary>
public static class HandMadePredictions
{
    //                                            student arg-max / conf     label   teacher arg-max / conf
    public static readonly float[][] Student =
    [
        [0.70f, 0.20f, 0.10f],  // 0 / 0.70  (bin 3)   0 ✓     0 / 0.85  (bin 4) ✓
        [0.05f, 0.90f, 0.05f],  // 1 / 0.90  (bin 4)   1 ✓     1 / 0.75  (bin 3) ✓
        [0.35f, 0.55f, 0.10f],  // 1 / 0.55  (bin 2)   0 ✗     0 / 0.65  (bin 3) ✓
        [0.20f, 0.15f, 0.65f],  // 2 / 0.65  (bin 3)   2 ✓     2 / 0.85  (bin 4) ✓
        [0.45f, 0.30f, 0.25f],  // 0 / 0.45  (bin 2)   2 ✗     2 / 0.55  (bin 2) ✓
        [0.90f, 0.05f, 0.05f],  // 0 / 0.90            none    0 (tie)
    ];

    public static readonly float[][] Teacher =
    [
        [0.85f, 0.10f, 0.05f],
        [0.10f, 0.75f, 0.15f],
        [0.65f, 0.25f, 0.10f],
        [0.10f, 0.05f, 0.85f],
        [0.20f, 0.25f, 0.55f],
        [0.50f, 0.50f, 0.00f],
    ];

    public static readonly int[] Labels = [0, 1, 0, 2, 2, -1];

    // Student: 3 of 5 labelled rows right.
    public const double StudentAccuracy = 0.6;
    // Class 0: TP 1 (row 0), FP 1 (row 4), FN 1 (row 2) → 2/4. Class 1: TP 1, FP 1 (row 2) → 2/3. Class 2: TP 1, FN 1 (row 4) → 2/3.
    public const double StudentMacroF1 = (0.5 + 2.0 / 3 + 2.0 / 3) / 3;
    public static readonly double StudentLogLoss = -(Math.Log(0.70) + Math.Log(0.90) + Math.Log(0.35) + Math.Log(0.65) + Math.Log(0.25)) / 5;
    // 5 bins. Bin 2: rows 2, 4: conf 0.5, acc 0 → 2/5·0.5. Bin 3: rows 0, 3: conf 0.675, acc 1 → 2/5·0.325. Bin 4: row 1: conf 0.9, acc 1 → 1/5·0.1.
    public const double StudentEce5 = 0.4 * 0.5 + 0.4 * 0.325 + 0.2 * 0.1;

    // Teacher: all 5 labelled rows right.
    public const double TeacherAccuracy = 1.0;
    public const double TeacherMacroF1 = 1.0;
    public static readonly double TeacherLogLoss = -(Math.Log(0.85) + Math.Log(0.75) + Math.Log(0.65) + Math.Log(0.85) + Math.Log(0.55)) / 5;
    // Bin 2: row 4: conf 0.55 → 1/5·0.45. Bin 3: rows 1, 2: conf 0.7 → 2/5·0.3. Bin 4: rows 0, 3: conf 0.85 → 2/5·0.15.
    public const double TeacherEce5 = 0.2 * 0.45 + 0.4 * 0.3 + 0.4 * 0.15;

    // Arg-maxes agree on rows 0, 1, 3, 5 (row 5: teacher tie → class 0, student 0).
    public const double Agreement = 4.0 / 6;

    // Σ t·ln(t/s) per row, zero teacher probabilities contributing nothing.
    public static readonly double MeanKl = (
        0.85 * Math.Log(0.85 / 0.70) + 0.10 * Math.Log(0.10 / 0.20) + 0.05 * Math.Log(0.05 / 0.10) +
        0.10 * Math.Log(0.10 / 0.05) + 0.75 * Math.Log(0.75 / 0.90) + 0.15 * Math.Log(0.15 / 0.05) +
        0.65 * Math.Log(0.65 / 0.35) + 0.25 * Math.Log(0.25 / 0.55) + 0.10 * Math.Log(0.10 / 0.10) +
        0.10 * Math.Log(0.10 / 0.20) + 0.05 * Math.Log(0.05 / 0.15) + 0.85 * Math.Log(0.85 / 0.65) +
        0.20 * Math.Log(0.20 / 0.45) + 0.25 * Math.Log(0.25 / 0.30) + 0.55 * Math.Log(0.55 / 0.25) +
        0.50 * Math.Log(0.50 / 0.90) + 0.50 * Math.Log(0.50 / 0.05)) / 6;   // = 0.258458…
}
