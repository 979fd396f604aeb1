using System.Collections;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Benchmarks;

/// <summary>One generated row: 784 features, a class name ("c0" … "c9") and a teacher column of 10 logits.</summary>
internal sealed class GeneratedRow
{
    public const int FeatureCount = 784, Classes = 10;

    [VectorType(FeatureCount)] public float[] Features { get; set; } = [];
    public string Label { get; set; } = "";
    [VectorType(Classes)] public float[] TeacherLogits { get; set; } = [];
}

/// <summary>
/// A read-only list of <see cref="GeneratedRow"/>s made on demand from the row index — nothing is stored, so the memory
/// a fit takes is the fit's own. ML.NET's <c>LoadFromEnumerable</c> sees a list and so knows the row count. Row i belongs
/// to class i mod 10: a class prototype plus noise; the teacher column is a fixed random linear map of the features.
/// </summary>
internal sealed class GeneratedRows : IList<GeneratedRow>
{
    private readonly float[] _prototypes;   // [Classes, Features]
    private readonly float[] _teacher;      // [Features, Classes]

    public GeneratedRows(int count, int seed = 11)
    {
        Count = count;
        var rng = new Random(seed);
        _prototypes = new float[GeneratedRow.Classes * GeneratedRow.FeatureCount];
        for (int i = 0; i < _prototypes.Length; i++) _prototypes[i] = (float)rng.NextDouble();
        _teacher = new float[GeneratedRow.FeatureCount * GeneratedRow.Classes];
        for (int i = 0; i < _teacher.Length; i++) _teacher[i] = (float)(rng.NextDouble() * 2 - 1) * 0.05f;
    }

    public int Count { get; }

    /// <summary>The class names in the teacher's order, for <c>MapValueToKey(keyData: …)</c>.</summary>
    public static readonly string[] ClassNames = Enumerable.Range(0, GeneratedRow.Classes).Select(c => $"c{c}").ToArray();

    public bool IsReadOnly => true;

    public GeneratedRow this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            int label = index % GeneratedRow.Classes;
            var features = new float[GeneratedRow.FeatureCount];
            ulong state = (ulong)index * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL;
            for (int j = 0; j < features.Length; j++)
            {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;   // xorshift64
                float noise = (state >> 40) / (float)(1 << 24) - 0.5f;
                features[j] = _prototypes[label * GeneratedRow.FeatureCount + j] + noise;
            }
            var logits = new float[GeneratedRow.Classes];
            for (int j = 0; j < features.Length; j++)
                for (int c = 0; c < logits.Length; c++) logits[c] += features[j] * _teacher[j * GeneratedRow.Classes + c];
            return new GeneratedRow { Features = features, Label = ClassNames[label], TeacherLogits = logits };
        }
        set => throw new NotSupportedException();
    }

    public IEnumerator<GeneratedRow> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public int IndexOf(GeneratedRow item) => throw new NotSupportedException();
    public void Insert(int index, GeneratedRow item) => throw new NotSupportedException();
    public void RemoveAt(int index) => throw new NotSupportedException();
    public void Add(GeneratedRow item) => throw new NotSupportedException();
    public void Clear() => throw new NotSupportedException();
    public bool Contains(GeneratedRow item) => throw new NotSupportedException();
    public void CopyTo(GeneratedRow[] array, int arrayIndex) => throw new NotSupportedException();
    public bool Remove(GeneratedRow item) => throw new NotSupportedException();
}
