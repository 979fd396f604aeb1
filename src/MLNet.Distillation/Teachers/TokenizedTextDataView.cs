using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// The output of <see cref="TokenizeForTeacherTransformer"/>: the input plus the teacher's ids, mask (and token type ids),
/// tokenized once per row when any of them is read.
/// </summary>
internal sealed class TokenizedTextDataView(IDataView input, TokenizedTextBinding binding, TeacherTokenEncoder encoder) : IDataView
{
    public bool CanShuffle => input.CanShuffle;

    public DataViewSchema Schema => binding.Schema;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var active = columnsNeeded.Select(c => c.Index).ToHashSet();
        return new Cursor(input.GetRowCursor(Dependencies(binding, active).Select(i => input.Schema[i]), rand), binding, encoder, active);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private static HashSet<int> Dependencies(TokenizedTextBinding binding, HashSet<int> active)
    {
        var result = active.Where(i => i < binding.InputCount).ToHashSet();
        if (active.Any(i => i >= binding.InputCount)) result.Add(binding.TextIndex);
        return result;
    }

    /// <summary>Serves the input columns unchanged; the appended columns share one tokenization per row.</summary>
    private sealed class Row(DataViewRow input, TokenizedTextBinding binding, TeacherTokenEncoder encoder, HashSet<int> active)
        : AppendedColumnsRow(input, binding.Schema, active)
    {
        private readonly long[] _ids = new long[binding.Length];
        private readonly long[] _mask = new long[binding.Length];
        private ValueGetter<ReadOnlyMemory<char>>? _text;
        private ReadOnlyMemory<char> _value;
        private char[] _encodedText = [];
        private int _encodedLength = -1;

        /// <summary>Tokenizes the row's text unless it is the text tokenized last (the ids and the mask getters of one row
        /// share the work; a row's position is not a safe key, <c>PredictionEngine</c> reuses its input row).</summary>
        private void EnsureEncoded()
        {
            _text ??= Input.GetGetter<ReadOnlyMemory<char>>(Input.Schema[binding.TextIndex]);
            _text(ref _value);
            var text = _value.Span;
            if (_encodedLength == text.Length && text.SequenceEqual(_encodedText.AsSpan(0, _encodedLength))) return;
            encoder.Encode(text, _ids, _mask);
            if (_encodedText.Length < text.Length) _encodedText = new char[Math.Max(text.Length, 2 * _encodedText.Length)];
            text.CopyTo(_encodedText);
            _encodedLength = text.Length;
        }

        protected override Delegate AppendedGetter(int appended)
        {
            int length = binding.Length;
            ValueGetter<VBuffer<long>> getter = appended switch
            {
                0 => (ref VBuffer<long> value) => { EnsureEncoded(); Write(_ids, ref value); },
                1 => (ref VBuffer<long> value) => { EnsureEncoded(); Write(_mask, ref value); },
                _ => (ref VBuffer<long> value) =>
                {
                    var editor = VBufferEditor.Create(ref value, length);
                    editor.Values.Clear();
                    value = editor.Commit();
                },
            };
            return getter;
        }

        private static void Write(long[] source, ref VBuffer<long> value)
        {
            var editor = VBufferEditor.Create(ref value, source.Length);
            source.CopyTo(editor.Values);
            value = editor.Commit();
        }
    }

    private sealed class Cursor(DataViewRowCursor upstream, TokenizedTextBinding binding, TeacherTokenEncoder encoder, HashSet<int> active) : DataViewRowCursor
    {
        private readonly Row _row = new(upstream, binding, encoder, active);

        public override DataViewSchema Schema => binding.Schema;
        public override long Position => upstream.Position;
        public override long Batch => upstream.Batch;
        public override bool MoveNext() => upstream.MoveNext();
        public override ValueGetter<DataViewRowId> GetIdGetter() => upstream.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);
        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _row.GetGetter<TValue>(column);
        protected override void Dispose(bool disposing) { if (disposing) upstream.Dispose(); base.Dispose(disposing); }
    }

    /// <summary>Row-at-a-time view for <c>PredictionEngine</c>.</summary>
    internal sealed class Mapper(DataViewSchema inputSchema, TokenizedTextBinding binding, TeacherTokenEncoder encoder) : IRowToRowMapper
    {
        public DataViewSchema InputSchema => inputSchema;
        public DataViewSchema OutputSchema => binding.Schema;

        public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
            => Dependencies(binding, dependingColumns.Select(c => c.Index).ToHashSet()).Select(i => inputSchema[i]);

        public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
            => new Row(input, binding, encoder, activeColumns.Select(c => c.Index).ToHashSet());
    }
}
