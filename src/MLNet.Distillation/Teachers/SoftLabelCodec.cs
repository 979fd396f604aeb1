using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Losses;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// How one teacher output is stored in a soft-label cache and read back: as float32 or float16 bits, densely or — with
/// top-k — as a sparse vector of length K + 1 holding the k largest probabilities at their class indices and the mass of
/// all the other classes at index K (stored, not derived from the rounded top-k values, so that it keeps its relative
/// precision in float16). its decoding is the only way back to the served
/// values, and the writer hashes what decoding returns, so reader and writer agree bit for bit.
/// </summary>
internal abstract class SoftLabelCodec
{
    protected SoftLabelCodec(int size, TeacherOutputKind teacherKind, int? topK)
    {
        Size = size;
        TeacherKind = teacherKind;
        TopK = topK;
        Probabilities = topK is null ? null : new double[size];
        Order = topK is null ? null : new int[size];
        _byProbability = (a, b) => Probabilities![b] != Probabilities[a] ? Probabilities[b].CompareTo(Probabilities[a]) : a.CompareTo(b);
    }

    private readonly Comparison<int> _byProbability;

    /// <summary>Values per row.</summary>
    public int Size { get; }

    /// <summary>What the teacher writes (logits or probabilities).</summary>
    public TeacherOutputKind TeacherKind { get; }

    /// <summary>Classes kept per row, or null for all.</summary>
    public int? TopK { get; }

    /// <summary>What the served column holds: probabilities after top-k, the teacher's own kind otherwise.</summary>
    public TeacherOutputKind ServedKind => TopK is null ? TeacherKind : TeacherOutputKind.Probabilities;

    /// <summary>The column type in the cache file.</summary>
    public abstract DataViewType StoredType { get; }

    protected double[]? Probabilities { get; }
    protected int[]? Order { get; }

    public static SoftLabelCodec Create(SoftLabelPrecision precision, int size, TeacherOutputKind teacherKind, int? topK)
        => precision == SoftLabelPrecision.Float16
            ? new Codec<ushort>(size, teacherKind, topK, NumberDataViewType.UInt16, v => BitConverter.HalfToUInt16Bits((Half)Math.Clamp(v, -65504f, 65504f)), u => (float)BitConverter.UInt16BitsToHalf(u))
            : new Codec<float>(size, teacherKind, topK, NumberDataViewType.Single, v => v, v => v);

    /// <summary>Encodes a raw teacher row into this codec's stored vector (held until the next call).</summary>
    public abstract void Encode(ReadOnlySpan<float> raw);

    /// <summary>A getter of the last encoded row, typed <c>ValueGetter&lt;VBuffer&lt;T&gt;&gt;</c> for the stored type.</summary>
    public abstract Delegate StoredGetter();

    /// <summary>Decodes the last encoded row into <paramref name="served"/> (dense, <see cref="Size"/> values).</summary>
    public abstract void DecodeLast(Span<float> served);

    /// <summary>A reader that decodes the stored column of <paramref name="row"/> into a dense row.</summary>
    public abstract Action<Span<float>> CreateReader(DataViewRow row, DataViewSchema.Column column);

    /// <summary>Fills <see cref="Probabilities"/> and sorts <see cref="Order"/> by decreasing probability (ties to the lower index); returns k.</summary>
    protected int SelectTopK(ReadOnlySpan<float> raw)
    {
        var p = Probabilities!;
        if (TeacherKind == TeacherOutputKind.Probabilities) for (int i = 0; i < Size; i++) p[i] = raw[i];
        else
        {
            double max = double.NegativeInfinity;
            foreach (var v in raw) max = Math.Max(max, v);
            double total = 0;
            for (int i = 0; i < Size; i++) total += p[i] = Math.Exp(raw[i] - max);
            for (int i = 0; i < Size; i++) p[i] /= total;
        }
        var order = Order!;
        for (int i = 0; i < Size; i++) order[i] = i;
        Array.Sort(order, _byProbability);
        return TopK!.Value;
    }

    private sealed class Codec<T>(int size, TeacherOutputKind teacherKind, int? topK, DataViewType itemType, Func<float, T> store, Func<T, float> load)
        : SoftLabelCodec(size, teacherKind, topK) where T : struct
    {
        private VBuffer<T> _last;

        public override DataViewType StoredType { get; } = new VectorDataViewType((PrimitiveDataViewType)itemType, topK is null ? size : size + 1);

        public override void Encode(ReadOnlySpan<float> raw)
        {
            if (TopK is null)
            {
                var dense = VBufferEditor.Create(ref _last, Size);
                for (int i = 0; i < Size; i++) dense.Values[i] = store(raw[i]);
                _last = dense.Commit();
                return;
            }
            int k = SelectTopK(raw);
            var sparse = VBufferEditor.Create(ref _last, Size + 1, k + 1, requireIndicesOnDense: true);
            double tail = 0;
            for (int j = k; j < Size; j++) tail += Probabilities![Order![j]];
            Array.Sort(Order!, 0, k);
            for (int j = 0; j < k; j++)
            {
                int i = Order![j];
                sparse.Indices[j] = i;
                sparse.Values[j] = store((float)Probabilities![i]);
            }
            sparse.Indices[k] = Size;
            sparse.Values[k] = store((float)tail);
            _last = sparse.Commit();
        }

        public override Delegate StoredGetter() => (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) => _last.CopyTo(ref value));

        public override void DecodeLast(Span<float> served) => Decode(_last, served);

        public override Action<Span<float>> CreateReader(DataViewRow row, DataViewSchema.Column column)
        {
            var getter = row.GetGetter<VBuffer<T>>(column);
            VBuffer<T> stored = default;
            return served =>
            {
                getter(ref stored);
                Decode(stored, served);
            };
        }

        private void Decode(in VBuffer<T> stored, Span<float> served)
        {
            var values = stored.GetValues();
            if (TopK is not int k)
            {
                if (stored.Length != Size || !stored.IsDense) throw new InvalidDataException($"a stored row is not a dense vector of {Size} values");
                for (int i = 0; i < Size; i++) served[i] = load(values[i]);
                return;
            }
            var indices = stored.GetIndices();
            if (stored.Length != Size + 1 || stored.IsDense || values.Length != k + 1 || indices[k] != Size)
                throw new InvalidDataException($"a stored row is not {k} probabilities and a tail mass");
            served.Fill(load(values[k]) / (Size - k));
            for (int j = 0; j < k; j++) served[indices[j]] = load(values[j]);
        }
    }
}
