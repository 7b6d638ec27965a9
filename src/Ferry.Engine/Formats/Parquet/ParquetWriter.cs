using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Ferry.Engine.Copy;

namespace Ferry.Engine.Formats.Parquet;

/// <summary>
/// Writes a Parquet file from typed column batches: row groups of at most <c>rowGroupRows</c> rows or about 64 MB (the
/// memory knob: one row group's values are held until it is written), one column chunk per column, data pages (v1) of PLAIN values
/// or, for text where it pays, a dictionary page and RLE_DICTIONARY indices; definition levels for every column (all are
/// optional); min, max and null count per chunk; pages compressed with snappy or gzip.
/// </summary>
public sealed class ParquetWriter
{
    private static readonly byte[] Magic = "PAR1"u8.ToArray();
    private readonly Stream _output;
    private readonly int _codec;
    private readonly int _rowGroupRows;
    private readonly ColumnWriter[] _columns;
    private readonly List<ThriftStruct> _rowGroups = [];
    private long _position;
    private long _rows;
    private int _groupRows;

    public ParquetWriter(Stream output, IReadOnlyList<CopyColumn> columns, string? codec, int rowGroupRows = 122_880)
    {
        _output = output;
        _codec = codec?.ToUpperInvariant() switch
        {
            null or "" or "NONE" or "UNCOMPRESSED" => Pq.Uncompressed,
            "SNAPPY" => Pq.Snappy,
            "GZIP" => Pq.Gzip,
            _ => throw new ArgumentException($"compressionCodec '{codec}' is not one Ferry writes Parquet with; use none, snappy or gzip."),
        };
        _rowGroupRows = rowGroupRows;
        _columns = columns.Select(ColumnWriter.For).ToArray();
        Checks = _columns.Any(c => c.Checks);
        Write(Magic);
    }

    public long RowsWritten => _rows;

    /// <summary>A row group is written early once it holds this much (long text or binary values), so memory stays bounded.</summary>
    private const long RowGroupBytes = 64L << 20;

    private long BufferedBytes()
    {
        long total = 0;
        foreach (var column in _columns)
            total += column.BufferedBytes;
        return total;
    }

    /// <summary>Why row <paramref name="row"/> of the batch cannot be written (a decimal beyond its column's precision, ...), or null.</summary>
    public string? Check(RowBatch batch, int row)
    {
        for (var i = 0; i < _columns.Length; i++)
        {
            if (!batch.Columns[i].Nulls[row] && _columns[i].Check(batch.Columns[i], row) is { } reason)
                return $"column '{_columns[i].Name}': {reason}";
        }
        return null;
    }

    /// <summary>Whether any column has values it may refuse (see <see cref="Check"/>); when none has, no row needs checking.</summary>
    public bool Checks { get; }

    public void Add(RowBatch batch, int row)
    {
        for (var i = 0; i < _columns.Length; i++)
            _columns[i].Add(batch.Columns[i], row);
        _rows++;
        if (++_groupRows >= _rowGroupRows || (_groupRows % 64 == 0 && BufferedBytes() > RowGroupBytes))
            FlushRowGroup();
    }

    /// <summary>Adds every row of the batch, a column at a time (up to each row group's end).</summary>
    public void AddAll(RowBatch batch)
    {
        for (var start = 0; start < batch.Count;)
        {
            // Pieces of 64 rows at most, so a row group of long values ends near its byte bound.
            var count = Math.Min(Math.Min(batch.Count - start, _rowGroupRows - _groupRows), 64);
            for (var i = 0; i < _columns.Length; i++)
                _columns[i].AddRange(batch.Columns[i], start, count);
            start += count;
            _rows += count;
            _groupRows += count;
            if (_groupRows >= _rowGroupRows || BufferedBytes() > RowGroupBytes)
                FlushRowGroup();
        }
    }

    /// <summary>Writes what is left and the footer; the file is complete after this.</summary>
    public void Finish()
    {
        if (_groupRows > 0 || _rowGroups.Count == 0)
            FlushRowGroup();
        var schema = new List<object> { new ThriftStruct().Set(4, "schema").Set(5, _columns.Length) };
        schema.AddRange(_columns.Select(c => c.SchemaElement()));
        var footer = new ThriftStruct()
            .Set(1, 1)
            .Set(2, ThriftList.Of(ThriftType.Struct, schema))
            .Set(3, _rows)
            .Set(4, ThriftList.Of(ThriftType.Struct, _rowGroups))
            .Set(6, $"Ferry {typeof(ParquetWriter).Assembly.GetName().Version}")
            // TYPE_ORDER for every column, so readers may trust min_value and max_value.
            .Set(7, ThriftList.Of(ThriftType.Struct, _columns.Select(_ => (object)new ThriftStruct().Set(1, new ThriftStruct()))));
        var bytes = ThriftCompact.Serialize(footer);
        Write(bytes);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        Write(length);
        Write(Magic);
    }

    private void FlushRowGroup()
    {
        var start = _position;
        var chunks = new List<object>();
        foreach (var column in _columns)
            chunks.Add(column.Flush(Write, () => _position, _codec));
        _rowGroups.Add(new ThriftStruct()
            .Set(1, ThriftList.Of(ThriftType.Struct, chunks))
            .Set(2, _position - start)
            .Set(3, (long)_groupRows)
            .Set(5, start));
        _groupRows = 0;
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _output.Write(bytes);
        _position += bytes.Length;
    }

    /// <summary>
    /// <paramref name="body"/> compressed with <paramref name="codec"/>, in a buffer reused from page to page (pages are
    /// large objects; new arrays per page would pile up on the large object heap until a full collection).
    /// </summary>
    internal static ReadOnlySpan<byte> Compress(int codec, ReadOnlySpan<byte> body)
    {
        switch (codec)
        {
            case Pq.Snappy:
                var needed = Snappy.MaxCompressedLength(body.Length);
                if (s_compressed is null || s_compressed.Length < needed)
                    s_compressed = new byte[Math.Max(needed, 1 << 16)];
                return s_compressed.AsSpan(0, Snappy.Compress(body, s_compressed));
            case Pq.Gzip:
                var memory = s_gzip ??= new MemoryStream();
                memory.SetLength(0);
                using (var gzip = new GZipStream(memory, CompressionLevel.Fastest, leaveOpen: true))
                    gzip.Write(body);
                return memory.GetBuffer().AsSpan(0, (int)memory.Length);
            default:
                return body;
        }
    }

    [ThreadStatic]
    private static byte[]? s_compressed;

    [ThreadStatic]
    private static MemoryStream? s_gzip;
}

internal delegate void ByteSink(ReadOnlySpan<byte> bytes);

/// <summary>One column's values for the row group being built, and how they are laid out in pages.</summary>
internal abstract class ColumnWriter(string name)
{
    protected const int PageRows = 32_768;
    public string Name { get; } = name;

    public abstract string? Check(ColumnBuffer column, int row);
    public virtual bool Checks => false;
    public abstract void Add(ColumnBuffer column, int row);

    public virtual void AddRange(ColumnBuffer column, int start, int count)
    {
        for (var row = start; row < start + count; row++)
            Add(column, row);
    }
    public abstract ThriftStruct SchemaElement();
    public abstract ThriftStruct Flush(ByteSink write, Func<long> position, int codec);

    /// <summary>About how many bytes the row group being built holds for this column.</summary>
    public abstract long BufferedBytes { get; }

    public static ColumnWriter For(CopyColumn column) => column.Type switch
    {
        var t when t == typeof(bool) => new BooleanWriter(column.Name),
        var t when t == typeof(byte) => new Of<byte>(column.Name, Pq.Int32, (v, o) => Int32(o, v), Annotation(Pq.ConvertedUint8, Integer(8, false))),
        var t when t == typeof(short) => new Of<short>(column.Name, Pq.Int32, (v, o) => Int32(o, v), Annotation(Pq.ConvertedInt16, Integer(16, true))),
        var t when t == typeof(int) => new Of<int>(column.Name, Pq.Int32, (v, o) => Int32(o, v), _ => { }),
        var t when t == typeof(long) => new Of<long>(column.Name, Pq.Int64, (v, o) => Int64(o, v), _ => { }),
        var t when t == typeof(float) => new Of<float>(column.Name, Pq.Float, (v, o) => { BinaryPrimitives.WriteSingleLittleEndian(o.GetSpan(4), v); o.Advance(4); }, _ => { }),
        var t when t == typeof(double) => new Of<double>(column.Name, Pq.Double, (v, o) => { BinaryPrimitives.WriteDoubleLittleEndian(o.GetSpan(8), v); o.Advance(8); }, _ => { }),
        var t when t == typeof(decimal) => DecimalWriter.Create(column),
        var t when t == typeof(string) => new StringWriter(column.Name, column.PostgresType is "json" or "jsonb"),
        var t when t == typeof(byte[]) => new Of<byte[]>(column.Name, Pq.ByteArray, (v, o) =>
        {
            BinaryPrimitives.WriteInt32LittleEndian(o.GetSpan(4), v.Length);
            o.Advance(4);
            o.Write(v);
        }, _ => { }, stats: false),
        var t when t == typeof(Guid) => new Of<Guid>(column.Name, Pq.FixedLenByteArray, (v, o) => { v.TryWriteBytes(o.GetSpan(16), bigEndian: true, out _); o.Advance(16); },
            e => e.Set(2, 16).Set(10, new ThriftStruct().Set(14, new ThriftStruct())), stats: false),
        var t when t == typeof(DateOnly) => new Of<DateOnly>(column.Name, Pq.Int32, (v, o) => Int32(o, v.DayNumber - Pq.UnixEpochDay),
            Annotation(Pq.ConvertedDate, new ThriftStruct().Set(6, new ThriftStruct()))),
        var t when t == typeof(DateTime) && column.Nanoseconds => new Of<DateTime>(column.Name, Pq.Int64, (v, o) => Int64(o, (v.Ticks - Pq.UnixEpoch.Ticks) * 100),
            e => e.Set(10, new ThriftStruct().Set(8, new ThriftStruct().Set(1, false).Set(2, Nanos()))), check: v => NanosecondRange(v.Ticks)),
        var t when t == typeof(DateTimeOffset) && column.Nanoseconds => new Of<DateTimeOffset>(column.Name, Pq.Int64, (v, o) => Int64(o, (v.UtcTicks - Pq.UnixEpoch.Ticks) * 100),
            e => e.Set(10, new ThriftStruct().Set(8, new ThriftStruct().Set(1, true).Set(2, Nanos()))), check: v => NanosecondRange(v.UtcTicks)),
        var t when t == typeof(TimeOnly) && column.Nanoseconds => new Of<TimeOnly>(column.Name, Pq.Int64, (v, o) => Int64(o, v.Ticks * 100),
            e => e.Set(10, new ThriftStruct().Set(7, new ThriftStruct().Set(1, false).Set(2, Nanos())))),
        var t when t == typeof(DateTime) => new Of<DateTime>(column.Name, Pq.Int64, (v, o) => Int64(o, (v.Ticks - Pq.UnixEpoch.Ticks) / 10),
            Annotation(Pq.ConvertedTimestampMicros, new ThriftStruct().Set(8, new ThriftStruct().Set(1, false).Set(2, Micros())))),
        var t when t == typeof(DateTimeOffset) => new Of<DateTimeOffset>(column.Name, Pq.Int64, (v, o) => Int64(o, (v.UtcTicks - Pq.UnixEpoch.Ticks) / 10),
            Annotation(Pq.ConvertedTimestampMicros, new ThriftStruct().Set(8, new ThriftStruct().Set(1, true).Set(2, Micros())))),
        var t when t == typeof(TimeOnly) => new Of<TimeOnly>(column.Name, Pq.Int64, (v, o) => Int64(o, v.Ticks / 10),
            Annotation(Pq.ConvertedTimeMicros, new ThriftStruct().Set(7, new ThriftStruct().Set(1, false).Set(2, Micros())))),
        var t when t == typeof(TimeSpan) => new Of<TimeSpan>(column.Name, Pq.FixedLenByteArray, (v, o) =>
        {
            // INTERVAL: months, days, milliseconds, each an unsigned little-endian int32.
            var span = o.GetSpan(12);
            BinaryPrimitives.WriteUInt32LittleEndian(span, 0);
            BinaryPrimitives.WriteUInt32LittleEndian(span[4..], (uint)v.Days);
            BinaryPrimitives.WriteUInt32LittleEndian(span[8..], (uint)(v.Ticks % TimeSpan.TicksPerDay / TimeSpan.TicksPerMillisecond));
            o.Advance(12);
        }, e => e.Set(2, 12).Set(6, Pq.ConvertedInterval), stats: false,
            check: v => v < TimeSpan.Zero ? "a negative time span has no Parquet INTERVAL" : null),
        _ => throw new ArgumentException($"column '{column.Name}' has type {column.Type.Name}, which Ferry does not write to Parquet"),
    };

    private static ThriftStruct Integer(int bits, bool signed) => new ThriftStruct().Set(10, new ThriftStruct().Set(1, (sbyte)bits).Set(2, signed));
    private static ThriftStruct Micros() => new ThriftStruct().Set(2, new ThriftStruct());
    private static ThriftStruct Nanos() => new ThriftStruct().Set(3, new ThriftStruct());

    // Nanoseconds since 1970 in an int64 reach from 1677-09-21 to 2262-04-11.
    private static readonly long MinNanosecondTicks = Pq.UnixEpoch.Ticks + long.MinValue / 100, MaxNanosecondTicks = Pq.UnixEpoch.Ticks + long.MaxValue / 100;

    private static string? NanosecondRange(long ticks) => ticks < MinNanosecondTicks || ticks > MaxNanosecondTicks
        ? "a nanosecond timestamp holds times from 1677-09-21 to 2262-04-11 only" : null;
    private static Action<ThriftStruct> Annotation(int converted, ThriftStruct logical) => e => e.Set(6, converted).Set(10, logical);

    internal static void Int32(ArrayBufferWriter<byte> output, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    internal static void Int64(ArrayBufferWriter<byte> output, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    /// <summary>Writes the row group's pages for this column and answers its ColumnChunk.</summary>
    protected static ThriftStruct WriteChunk(ByteSink write, Func<long> position, int codec, int physical, string name, IReadOnlyList<int> definitions,
        Func<int, int, int, ArrayBufferWriter<byte>, int> encodePage, int pageEncoding, ArrayBufferWriter<byte>? dictionary, int dictionaryCount, ThriftStruct? statistics)
    {
        var start = position();
        long uncompressed = 0;
        long? dictionaryOffset = null;
        if (dictionary is not null)
        {
            dictionaryOffset = start;
            uncompressed += WritePage(write, codec, dictionary.WrittenSpan, new ThriftStruct().Set(1, Pq.DictionaryPage),
                7, new ThriftStruct().Set(1, dictionaryCount).Set(2, Pq.Plain));
        }
        var dataOffset = position();
        var valueIndex = 0;
        var levels = new int[Math.Min(PageRows, Math.Max(1, definitions.Count))];
        for (var row = 0; row < definitions.Count || row == 0; row += PageRows)
        {
            var rows = Math.Min(PageRows, definitions.Count - row);
            var body = s_body ??= new ArrayBufferWriter<byte>(1 << 16);
            var levelBuffer = s_levels ??= new ArrayBufferWriter<byte>(1 << 12);
            body.ResetWrittenCount();
            levelBuffer.ResetWrittenCount();
            var present = 0;
            for (var i = 0; i < rows; i++)
            {
                levels[i] = definitions[row + i];
                present += levels[i];
            }
            RleHybrid.Write(levelBuffer, levels.AsSpan(0, rows), 1);
            BinaryPrimitives.WriteInt32LittleEndian(body.GetSpan(4), levelBuffer.WrittenCount);
            body.Advance(4);
            body.Write(levelBuffer.WrittenSpan);
            encodePage(valueIndex, present, rows, body);
            valueIndex += present;
            uncompressed += WritePage(write, codec, body.WrittenSpan, new ThriftStruct().Set(1, Pq.DataPage),
                5, new ThriftStruct().Set(1, rows).Set(2, pageEncoding).Set(3, Pq.Rle).Set(4, Pq.Rle));
            if (rows == 0)
                break;
        }
        var encodings = dictionary is null ? new object[] { Pq.Plain, Pq.Rle } : [Pq.Plain, Pq.Rle, Pq.RleDictionary];
        var metadata = new ThriftStruct()
            .Set(1, physical)
            .Set(2, ThriftList.Of(ThriftType.I32, encodings))
            .Set(3, ThriftList.Of(ThriftType.Binary, [name]))
            .Set(4, codec)
            .Set(5, (long)definitions.Count)
            .Set(6, uncompressed)
            .Set(7, position() - start)
            .Set(9, dataOffset)
            .Set(11, dictionaryOffset)
            .Set(12, statistics);
        return new ThriftStruct().Set(2, start).Set(3, metadata);
    }

    /// <summary>Writes one page (header, then its body compressed); answers its uncompressed size with the header.</summary>
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? s_body;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? s_levels;

    private static long WritePage(ByteSink write, int codec, ReadOnlySpan<byte> body, ThriftStruct header, short kindField, ThriftStruct kind)
    {
        var compressed = ParquetWriter.Compress(codec, body);
        header.Set(2, body.Length).Set(3, compressed.Length).Set(kindField, kind);
        var headerBytes = ThriftCompact.Serialize(header);
        write(headerBytes);
        write(compressed);
        return headerBytes.Length + body.Length;
    }

    protected static ThriftStruct Statistics(long nulls, byte[]? min, byte[]? max) =>
        new ThriftStruct().Set(3, nulls).Set(5, max).Set(6, min);

    /// <summary>The row group being built for one column: its values as they are written, definition levels and null count.</summary>
    private abstract class Buffered<TStore>(string name) : ColumnWriter(name)
    {
        protected List<TStore> Values { get; } = [];
        protected List<int> Definitions { get; } = [];
        protected long Nulls { get; private set; }
        private long _bytes;

        public override long BufferedBytes => _bytes + Definitions.Count * 4L;

        protected void AddNull()
        {
            Definitions.Add(0);
            Nulls++;
        }

        protected void AddValue(TStore value)
        {
            _bytes += value is byte[] bytes ? bytes.Length : 16;
            Values.Add(value);
            Definitions.Add(1);
        }

        /// <summary>Forgets the row group just written; answers its chunk.</summary>
        protected ThriftStruct Written(ThriftStruct chunk)
        {
            Values.Clear();
            Definitions.Clear();
            Nulls = 0;
            _bytes = 0;
            return chunk;
        }
    }

    /// <summary>A column of fixed-size values written PLAIN (numbers, dates, timestamps, UUIDs, ...).</summary>
    private sealed class Of<T>(string name, int physical, Action<T, ArrayBufferWriter<byte>> plain, Action<ThriftStruct> annotate, bool stats = true,
        Func<T, string?>? check = null) : Buffered<T>(name)
    {
        private T _min = default!, _max = default!;

        public override string? Check(ColumnBuffer column, int row) => check?.Invoke(((ColumnBuffer<T>)column).Values[row]);

        public override bool Checks => check is not null;

        public override void Add(ColumnBuffer column, int row) => Add((ColumnBuffer<T>)column, row);

        public override void AddRange(ColumnBuffer column, int start, int count)
        {
            var typed = (ColumnBuffer<T>)column;
            for (var row = start; row < start + count; row++)
                Add(typed, row);
        }

        private void Add(ColumnBuffer<T> typed, int row)
        {
            if (typed.Nulls[row])
            {
                AddNull();
                return;
            }
            var value = typed.Values[row];
            if (stats && (Values.Count == 0 || Comparer<T>.Default.Compare(value, _min) < 0) && !IsNaN(value))
                _min = value;
            if (stats && (Values.Count == 0 || Comparer<T>.Default.Compare(value, _max) > 0) && !IsNaN(value))
                _max = value;
            AddValue(value);
        }

        private static bool IsNaN(T value) => value is double d ? double.IsNaN(d) : value is float f && float.IsNaN(f);

        public override ThriftStruct SchemaElement()
        {
            var element = new ThriftStruct().Set(1, physical).Set(3, Pq.Optional).Set(4, Name);
            annotate(element);
            return element;
        }

        public override ThriftStruct Flush(ByteSink write, Func<long> position, int codec)
        {
            ThriftStruct? statistics = null;
            if (stats && Values.Count > 0 && !IsNaN(_min) && !IsNaN(_max))
                statistics = Statistics(Nulls, Plain(_min), Plain(_max));
            else
                statistics = new ThriftStruct().Set(3, Nulls);
            var chunk = WriteChunk(write, position, codec, physical, Name, Definitions, (first, count, _, body) =>
            {
                for (var i = 0; i < count; i++)
                    plain(Values[first + i], body);
                return count;
            }, Pq.Plain, null, 0, statistics);
            return Written(chunk);
        }

        private byte[] Plain(T value)
        {
            var buffer = new ArrayBufferWriter<byte>();
            plain(value, buffer);
            return buffer.WrittenSpan.ToArray();
        }
    }

    private sealed class BooleanWriter(string name) : Buffered<bool>(name)
    {

        public override string? Check(ColumnBuffer column, int row) => null;

        public override void Add(ColumnBuffer column, int row)
        {
            var typed = (ColumnBuffer<bool>)column;
            if (typed.Nulls[row])
                AddNull();
            else
                AddValue(typed.Values[row]);
        }

        public override ThriftStruct SchemaElement() => new ThriftStruct().Set(1, Pq.Boolean).Set(3, Pq.Optional).Set(4, Name);

        public override ThriftStruct Flush(ByteSink write, Func<long> position, int codec)
        {
            var statistics = Values.Count == 0 ? new ThriftStruct().Set(3, Nulls)
                : Statistics(Nulls, [Values.Contains(false) ? (byte)0 : (byte)1], [Values.Contains(true) ? (byte)1 : (byte)0]);
            var chunk = WriteChunk(write, position, codec, Pq.Boolean, Name, Definitions, (first, count, _, body) =>
            {
                // PLAIN booleans: one bit each, least significant first.
                var bytes = (count + 7) / 8;
                var span = body.GetSpan(bytes)[..bytes];
                span.Clear();
                for (var i = 0; i < count; i++)
                {
                    if (Values[first + i])
                        span[i >> 3] |= (byte)(1 << (i & 7));
                }
                body.Advance(bytes);
                return count;
            }, Pq.Plain, null, 0, statistics);
            return Written(chunk);
        }
    }

    /// <summary>
    /// Text as UTF-8 BYTE_ARRAY (STRING or JSON), encoded as it arrives into one buffer laid out as PLAIN pages are (a
    /// length, then the bytes), so the row group holds bytes rather than strings (a row group of strings kept alive is
    /// what makes the garbage collector's work grow). A dictionary is built alongside while values repeat enough for it
    /// to pay (given up once more than half the values are new, or it outgrows a page); its entries point into the buffer.
    /// </summary>
    private sealed class StringWriter(string name, bool json) : ColumnWriter(name)
    {
        private const int DictionaryLimit = 1 << 20;
        private byte[] _bytes = new byte[1 << 16];
        private int _length;
        private int[] _starts = new int[1024];
        private int _count;
        private readonly List<int> _definitions = [];
        private long _nulls;
        private int _min = -1, _max = -1;

        // The dictionary: an open-addressing table of value numbers (+1) keyed by their bytes, and its distinct values.
        private int[] _table = new int[4096];
        private int[] _indexes = new int[1024];
        private readonly List<int> _distinct = [];
        private readonly List<int> _hashes = [];
        private int _dictionaryBytes;
        private bool _dictionary = true;

        public override long BufferedBytes => _length + _count * 8L;

        public override string? Check(ColumnBuffer column, int row) => null;

        public override void Add(ColumnBuffer column, int row) => Add((ColumnBuffer<string>)column, row);

        public override void AddRange(ColumnBuffer column, int start, int count)
        {
            var typed = (ColumnBuffer<string>)column;
            for (var row = start; row < start + count; row++)
                Add(typed, row);
        }

        private void Add(ColumnBuffer<string> typed, int row)
        {
            if (typed.Nulls[row])
            {
                _definitions.Add(0);
                _nulls++;
                return;
            }
            var value = typed.Values[row];
            var size = Encoding.UTF8.GetMaxByteCount(value.Length) + 4;
            if (_bytes.Length - _length < size)
                Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + size));
            var length = Encoding.UTF8.GetBytes(value, _bytes.AsSpan(_length + 4));
            BinaryPrimitives.WriteInt32LittleEndian(_bytes.AsSpan(_length), length);
            if (_count == _starts.Length)
                Array.Resize(ref _starts, _count * 2);
            var index = _count++;
            _starts[index] = _length;
            _length += 4 + length;
            _definitions.Add(1);
            // Statistics in the order of the UTF-8 bytes, which is Parquet's order for STRING.
            var bytes = Value(index);
            if (_min < 0 || bytes.SequenceCompareTo(Value(_min)) < 0)
                _min = index;
            if (_max < 0 || bytes.SequenceCompareTo(Value(_max)) > 0)
                _max = index;
            if (_dictionary)
                AddToDictionary(index, bytes, value.GetHashCode());
        }

        private Span<byte> Value(int index) => _bytes.AsSpan(_starts[index] + 4, BinaryPrimitives.ReadInt32LittleEndian(_bytes.AsSpan(_starts[index])));

        private void AddToDictionary(int index, ReadOnlySpan<byte> bytes, int hash)
        {
            if (_indexes.Length <= index)
                Array.Resize(ref _indexes, _starts.Length);
            var mask = _table.Length - 1;
            var slot = hash & mask;
            while (_table[slot] != 0)
            {
                var entry = _table[slot] - 1;
                if (Value(_distinct[entry]).SequenceEqual(bytes))
                {
                    _indexes[index] = entry;
                    return;
                }
                slot = (slot + 1) & mask;
            }
            _distinct.Add(index);
            _hashes.Add(hash);
            _dictionaryBytes += 4 + bytes.Length;
            if ((_distinct.Count > 1024 && _distinct.Count > (index + 1) / 2) || _dictionaryBytes > DictionaryLimit)
            {
                _dictionary = false;
                return;
            }
            _table[slot] = _distinct.Count;
            _indexes[index] = _distinct.Count - 1;
            if (_distinct.Count * 2 > _table.Length)
                Rehash();
        }

        private void Rehash()
        {
            _table = new int[_table.Length * 2];
            var mask = _table.Length - 1;
            for (var entry = 0; entry < _distinct.Count; entry++)
            {
                var slot = _hashes[entry] & mask;
                while (_table[slot] != 0)
                    slot = (slot + 1) & mask;
                _table[slot] = entry + 1;
            }
        }

        public override ThriftStruct SchemaElement() => new ThriftStruct().Set(1, Pq.ByteArray).Set(3, Pq.Optional).Set(4, Name)
            .Set(6, json ? Pq.ConvertedJson : Pq.ConvertedUtf8).Set(10, new ThriftStruct().Set(json ? (short)12 : (short)1, new ThriftStruct()));

        public override ThriftStruct Flush(ByteSink write, Func<long> position, int codec)
        {
            var statistics = Statistics(_nulls, _min < 0 ? null : Value(_min).ToArray(), _max < 0 ? null : Value(_max).ToArray());
            ThriftStruct chunk;
            if (_dictionary && _count > 0)
            {
                var dictionary = s_dictionary ??= new ArrayBufferWriter<byte>(1 << 16);
                dictionary.ResetWrittenCount();
                foreach (var index in _distinct)
                    dictionary.Write(_bytes.AsSpan(_starts[index], 4 + Value(index).Length));
                var bitWidth = Math.Max(1, 32 - int.LeadingZeroCount(_distinct.Count - 1));
                chunk = WriteChunk(write, position, codec, Pq.ByteArray, Name, _definitions, (first, count, _, body) =>
                {
                    body.GetSpan(1)[0] = (byte)bitWidth;
                    body.Advance(1);
                    RleHybrid.Write(body, _indexes.AsSpan(first, count), bitWidth);
                    return count;
                }, Pq.RleDictionary, dictionary, _distinct.Count, statistics);
            }
            else
            {
                chunk = WriteChunk(write, position, codec, Pq.ByteArray, Name, _definitions, (first, count, _, body) =>
                {
                    if (count > 0)
                    {
                        var end = first + count < _count ? _starts[first + count] : _length;
                        body.Write(_bytes.AsSpan(_starts[first], end - _starts[first]));
                    }
                    return count;
                }, Pq.Plain, null, 0, statistics);
            }
            _length = _count = 0;
            _definitions.Clear();
            _nulls = 0;
            _min = _max = -1;
            Array.Clear(_table);
            _distinct.Clear();
            _hashes.Clear();
            _dictionaryBytes = 0;
            _dictionary = true;
            return chunk;
        }

        [ThreadStatic]
        private static ArrayBufferWriter<byte>? s_dictionary;
    }

    /// <summary>
    /// Decimals at their column's precision and scale (from PostgreSQL's numeric(p,s); decimal(38,18) otherwise): INT32
    /// up to 9 digits, INT64 up to 18, a fixed-length big-endian integer beyond.
    /// </summary>
    private sealed class DecimalWriter : Buffered<Int128>
    {
        private readonly int _precision, _scale, _physical, _bytes;

        private DecimalWriter(string name, int precision, int scale) : base(name)
        {
            (_precision, _scale) = (precision, scale);
            _physical = precision <= 9 ? Pq.Int32 : precision <= 18 ? Pq.Int64 : Pq.FixedLenByteArray;
            _bytes = Pq.DecimalBytes(precision);
        }

        public static DecimalWriter Create(CopyColumn column)
        {
            var match = System.Text.RegularExpressions.Regex.Match(column.PostgresType ?? "", @"^numeric\((\d+),\s*(\d+)\)$");
            return match.Success
                ? new DecimalWriter(column.Name, int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                    int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture))
                : new DecimalWriter(column.Name, 38, 18);
        }

        public override bool Checks => true;

        public override string? Check(ColumnBuffer column, int row) =>
            Pq.TryUnscale(((ColumnBuffer<decimal>)column).Values[row], _scale, _precision, out _) ? null
                : $"{((ColumnBuffer<decimal>)column).Values[row]} does not fit decimal({_precision},{_scale})";

        public override void Add(ColumnBuffer column, int row)
        {
            var typed = (ColumnBuffer<decimal>)column;
            if (typed.Nulls[row] || !Pq.TryUnscale(typed.Values[row], _scale, _precision, out var unscaled))
                AddNull();
            else
                AddValue(unscaled);
        }

        public override ThriftStruct SchemaElement()
        {
            var element = new ThriftStruct().Set(1, _physical).Set(3, Pq.Optional).Set(4, Name).Set(6, Pq.ConvertedDecimal).Set(7, _scale).Set(8, _precision)
                .Set(10, new ThriftStruct().Set(5, new ThriftStruct().Set(1, _scale).Set(2, _precision)));
            return _physical == Pq.FixedLenByteArray ? element.Set(2, _bytes) : element;
        }

        private void Plain(Int128 value, ArrayBufferWriter<byte> output)
        {
            switch (_physical)
            {
                case Pq.Int32: Int32(output, (int)value); break;
                case Pq.Int64: Int64(output, (long)value); break;
                default:
                    Pq.WriteBigEndian(value, output.GetSpan(_bytes)[.._bytes]);
                    output.Advance(_bytes);
                    break;
            }
        }

        public override ThriftStruct Flush(ByteSink write, Func<long> position, int codec)
        {
            ThriftStruct statistics = new ThriftStruct().Set(3, Nulls);
            if (Values.Count > 0)
            {
                var (min, max) = (new ArrayBufferWriter<byte>(), new ArrayBufferWriter<byte>());
                Plain(Values.Min(), min);
                Plain(Values.Max(), max);
                statistics = Statistics(Nulls, min.WrittenSpan.ToArray(), max.WrittenSpan.ToArray());
            }
            var chunk = WriteChunk(write, position, codec, _physical, Name, Definitions, (first, count, _, body) =>
            {
                for (var i = 0; i < count; i++)
                    Plain(Values[first + i], body);
                return count;
            }, Pq.Plain, null, 0, statistics);
            return Written(chunk);
        }
    }
}
