using Microsoft.ML;
using Microsoft.ML.Data;
using Parquet;
using Parquet.Schema;

namespace MLNet.Distillation.Parquet;

/// <summary>
/// Writes a data view as a Parquet file in one pass, row group by row group: float, double, int, long, bool and text
/// columns as required Parquet columns, fixed-size float and double vectors as lists (a required element in each of a
/// row's entries), with Snappy compression, and the columns' teacher-kind and slot-name annotations in the file's
/// key-value metadata (<see cref="ParquetAnnotations"/>). Memory: one row group.
/// </summary>
internal static class ParquetSaver
{
    public const string WhatToDoWhenUnwritable = "Give SaveAsParquet a path in a folder this process can write to.";

    public static long Save(IDataView data, string path, int? rowsPerGroup)
    {
        var columns = data.Schema.Where(c => !c.IsHidden).Select(Map).ToArray();
        if (columns.Length == 0) throw new ArgumentException("SaveAsParquet was given a data view without columns.", nameof(data));
        int groupRows = rowsPerGroup ?? DefaultRowsPerGroup(columns);
        var fields = columns.Select(c => c.Size > 0
            ? (Field)new ListField(c.Source.Name, new DataField(ListField.ElementName, c.Kind == ParquetColumnKind.SingleVector ? typeof(float) : typeof(double), isNullable: false))
            : new DataField(c.Source.Name, ClrType(c.Kind), isNullable: false)).ToArray();
        var schema = new ParquetSchema(fields);
        var metadata = data.Schema.Where(c => !c.IsHidden).SelectMany(ParquetAnnotations.Write).ToDictionary(kv => kv.Key, kv => kv.Value);
        long written = 0;
        AtomicFile.Write(path, stream =>
        {
            var writer = ParquetWriter.CreateAsync(schema, stream, new ParquetOptions { CompressionMethod = CompressionMethod.Snappy }).GetAwaiter().GetResult();
            try
            {
                if (metadata.Count > 0) writer.CustomMetadata = metadata;
                using var cursor = data.GetRowCursor(columns.Select(c => c.Source));
                var buffers = columns.Select(c => ColumnBuffer.Create(c.Kind, c.Size, cursor, c.Source, groupRows)).ToArray();
                var leaves = schema.GetDataFields();
                int rows;
                do
                {
                    rows = 0;
                    while (rows < groupRows && cursor.MoveNext())
                    {
                        foreach (var b in buffers) b.Append(rows);
                        rows++;
                    }
                    if (rows == 0 && written > 0) break;
                    using var group = writer.CreateRowGroup();
                    for (int i = 0; i < buffers.Length; i++) buffers[i].Write(group, leaves[i], rows);
                    written += rows;
                }
                while (rows == groupRows);
            }
            finally
            {
                writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }, WhatToDoWhenUnwritable);
        return written;
    }

    /// <summary>About 64 MiB of values per row group (at least 1,024 rows): large enough to read fast, small enough to write in bounded memory.</summary>
    private static int DefaultRowsPerGroup(IEnumerable<(DataViewSchema.Column Source, ParquetColumnKind Kind, int Size)> columns)
    {
        long bytesPerRow = columns.Sum(c => (long)Math.Max(1, c.Size) * (c.Kind is ParquetColumnKind.Double or ParquetColumnKind.DoubleVector or ParquetColumnKind.Int64 ? 8 : c.Kind == ParquetColumnKind.Text ? 32 : 4));
        return (int)Math.Clamp((64L << 20) / Math.Max(1, bytesPerRow), 1024, 1 << 20);
    }

    private static Type ClrType(ParquetColumnKind kind) => kind switch
    {
        ParquetColumnKind.Single => typeof(float),
        ParquetColumnKind.Double => typeof(double),
        ParquetColumnKind.Int32 => typeof(int),
        ParquetColumnKind.Int64 => typeof(long),
        ParquetColumnKind.Boolean => typeof(bool),
        ParquetColumnKind.Text => typeof(string),
        _ => throw new InvalidOperationException(kind.ToString()),
    };

    /// <summary>What <paramref name="c"/> is written as; <c>Size</c> is the vector size, 0 for a scalar.</summary>
    private static (DataViewSchema.Column Source, ParquetColumnKind Kind, int Size) Map(DataViewSchema.Column c)
    {
        ParquetColumnKind? kind = c.Type switch
        {
            var t when t == NumberDataViewType.Single => ParquetColumnKind.Single,
            var t when t == NumberDataViewType.Double => ParquetColumnKind.Double,
            var t when t == NumberDataViewType.Int32 => ParquetColumnKind.Int32,
            var t when t == NumberDataViewType.Int64 => ParquetColumnKind.Int64,
            BooleanDataViewType => ParquetColumnKind.Boolean,
            TextDataViewType => ParquetColumnKind.Text,
            VectorDataViewType { IsKnownSize: true } v when v.ItemType == NumberDataViewType.Single => ParquetColumnKind.SingleVector,
            VectorDataViewType { IsKnownSize: true } v when v.ItemType == NumberDataViewType.Double => ParquetColumnKind.DoubleVector,
            _ => null,
        };
        if (kind is not { } k)
        {
            string fix = c.Type switch
            {
                KeyDataViewType => "turn keys back into their values with mlContext.Transforms.Conversion.MapKeyToValue",
                VectorDataViewType { IsKnownSize: false } => "give the vector a fixed size",
                _ => "convert it with mlContext.Transforms.Conversion.ConvertType, or drop it with mlContext.Transforms.DropColumns",
            };
            throw new NotSupportedException($"Column '{c.Name}' is {c.Type}; SaveAsParquet writes float, double, int, long, bool and text columns and fixed-size float or double vectors: {fix}.");
        }
        return (c, k, c.Type is VectorDataViewType vt ? vt.Size : 0);
    }

    /// <summary>One column's values for the row group being written.</summary>
    private abstract class ColumnBuffer
    {
        public abstract void Append(int row);
        public abstract void Write(ParquetRowGroupWriter group, DataField leaf, int rows);

        public static ColumnBuffer Create(ParquetColumnKind kind, int size, DataViewRowCursor cursor, DataViewSchema.Column source, int capacity) => kind switch
        {
            ParquetColumnKind.Single => new Scalar<float>(cursor.GetGetter<float>(source), capacity),
            ParquetColumnKind.Double => new Scalar<double>(cursor.GetGetter<double>(source), capacity),
            ParquetColumnKind.Int32 => new Scalar<int>(cursor.GetGetter<int>(source), capacity),
            ParquetColumnKind.Int64 => new Scalar<long>(cursor.GetGetter<long>(source), capacity),
            ParquetColumnKind.Boolean => new Scalar<bool>(cursor.GetGetter<bool>(source), capacity),
            ParquetColumnKind.Text => new Text(cursor.GetGetter<ReadOnlyMemory<char>>(source), capacity),
            ParquetColumnKind.SingleVector => new Vector<float>(cursor.GetGetter<VBuffer<float>>(source), size, capacity),
            ParquetColumnKind.DoubleVector => new Vector<double>(cursor.GetGetter<VBuffer<double>>(source), size, capacity),
            _ => throw new InvalidOperationException(kind.ToString()),
        };
    }

    private sealed class Scalar<T>(ValueGetter<T> getter, int capacity) : ColumnBuffer where T : struct
    {
        private readonly T[] _values = new T[capacity];

        public override void Append(int row) => getter(ref _values[row]);

        public override void Write(ParquetRowGroupWriter group, DataField leaf, int rows)
            => group.WriteAsync<T>(leaf, _values.AsMemory(0, rows), null, null, default).GetAwaiter().GetResult();
    }

    private sealed class Text(ValueGetter<ReadOnlyMemory<char>> getter, int capacity) : ColumnBuffer
    {
        private readonly string[] _values = new string[capacity];
        private ReadOnlyMemory<char> _value;

        public override void Append(int row)
        {
            getter(ref _value);
            _values[row] = _value.ToString();
        }

        public override void Write(ParquetRowGroupWriter group, DataField leaf, int rows)
            => group.WriteAsync(leaf, new ArraySegment<string>(_values, 0, rows), null).GetAwaiter().GetResult();
    }

    private sealed class Vector<T>(ValueGetter<VBuffer<T>> getter, int size, int capacity) : ColumnBuffer where T : struct
    {
        private readonly T[] _values = new T[(long)size * capacity];
        private readonly int[] _repetitions = Levels(size, capacity);
        private VBuffer<T> _value;

        private static int[] Levels(int size, int capacity)
        {
            var levels = new int[(long)size * capacity];
            for (long i = 0; i < levels.Length; i++) levels[i] = i % size == 0 ? 0 : 1;
            return levels;
        }

        public override void Append(int row)
        {
            getter(ref _value);
            _value.CopyTo(_values.AsSpan(row * size, size));
        }

        public override void Write(ParquetRowGroupWriter group, DataField leaf, int rows)
        {
            int count = rows * size;
            var definitions = new int[count];
            Array.Fill(definitions, leaf.MaxDefinitionLevel);
            group.WriteAllPartsAsync<T>(leaf, _values.AsMemory(0, count), definitions, _repetitions.AsMemory(0, count), default).GetAwaiter().GetResult();
        }
    }
}
