using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Ferry.Engine.Copy;

namespace Ferry.Engine.Formats.Parquet;

/// <summary>
/// Reads a Parquet file's flat columns, a row group at a time, into typed column buffers: data pages v1 and v2, PLAIN,
/// PLAIN_DICTIONARY / RLE_DICTIONARY, RLE booleans and DELTA_BINARY_PACKED integers, legacy INT96 timestamps, codecs
/// none, snappy and gzip. Nested columns are refused naming the column. Everything read from the file is checked
/// against the file before it is trusted, so a damaged file is an <see cref="InvalidDataException"/> saying where.
/// </summary>
public sealed class ParquetReader
{
    private const int MaxPageBytes = 1 << 30;
    private readonly Stream _file;
    private readonly ThriftStruct _metadata;
    private readonly LeafReader[] _leaves;

    public ParquetReader(Stream file)
    {
        _file = file;
        var length = file.Length;
        if (length < 12)
            throw new InvalidDataException($"it is {length} bytes long, too short for a Parquet file");
        Span<byte> edge = stackalloc byte[8];
        ReadAt(0, edge[..4]);
        if (!edge[..4].SequenceEqual("PAR1"u8))
            throw new InvalidDataException("it does not start with Parquet's magic bytes PAR1");
        ReadAt(length - 8, edge);
        if (!edge[4..].SequenceEqual("PAR1"u8))
            throw new InvalidDataException("it does not end with Parquet's magic bytes PAR1 (a truncated file?)");
        var footerLength = BinaryPrimitives.ReadInt32LittleEndian(edge);
        if (footerLength <= 0 || footerLength > length - 12)
            throw new InvalidDataException($"its footer length {footerLength} does not fit in the file");
        var footer = new byte[footerLength];
        ReadAt(length - 8 - footerLength, footer);
        _metadata = ThriftCompact.Read(footer, out _);
        RowCount = _metadata.I64(3);
        _leaves = Leaves(_metadata.List(2).Items.Cast<ThriftStruct>().ToList());
        Columns = _leaves.Select(l => new CopyColumn(l.Name, l.Type) { Nanoseconds = l.Nanoseconds }).ToList();
        RowGroups = _metadata.List(4).Items.Cast<ThriftStruct>().ToList();
    }

    public IReadOnlyList<CopyColumn> Columns { get; }
    public IReadOnlyList<ThriftStruct> RowGroups { get; }
    public long RowCount { get; }

    private static LeafReader[] Leaves(List<ThriftStruct> schema)
    {
        if (schema.Count == 0)
            throw new InvalidDataException("its schema is empty");
        var leaves = new List<LeafReader>();
        for (var i = 1; i < schema.Count; i++)
        {
            var element = schema[i];
            var name = element.OptionalString(4) ?? $"column {i}";
            if (element.OptionalI32(5) is > 0 || element.OptionalI32(3) == Pq.Repeated || !element.Has(1))
                throw new NotSupportedException($"column '{name}' is nested (a group, list or map); Ferry reads flat columns only so far — select the flat columns, or flatten it first");
            leaves.Add(LeafReader.For(element, name));
        }
        return [.. leaves];
    }

    /// <summary>Reads row group <paramref name="index"/> into buffers of its row count, one per column.</summary>
    public ColumnBuffer[] ReadRowGroup(int index)
    {
        var group = RowGroups[index];
        var rows = group.I64(3);
        if (rows < 0 || rows > int.MaxValue || rows > RowCount)
            throw new InvalidDataException($"row group {index} declares {rows} rows");
        var chunks = group.List(1).Items.Cast<ThriftStruct>().ToList();
        if (chunks.Count != _leaves.Length)
            throw new InvalidDataException($"row group {index} has {chunks.Count} column chunks for {_leaves.Length} columns");
        var buffers = new ColumnBuffer[_leaves.Length];
        for (var c = 0; c < _leaves.Length; c++)
        {
            buffers[c] = ColumnBuffer.For(_leaves[c].Type, (int)rows);
            try
            {
                ReadChunk(chunks[c].Struct(3), _leaves[c], buffers[c], (int)rows);
            }
            catch (Exception e) when (e is InvalidDataException or IndexOutOfRangeException or ArgumentException or OverflowException)
            {
                throw new InvalidDataException($"column '{_leaves[c].Name}' of row group {index}: {e.Message}", e);
            }
        }
        return buffers;
    }

    private void ReadChunk(ThriftStruct metadata, LeafReader leaf, ColumnBuffer buffer, int rows)
    {
        var codec = metadata.I32(4);
        var start = metadata.OptionalI64(11) is { } dictionaryOffset and > 0 ? Math.Min(dictionaryOffset, metadata.I64(9)) : metadata.I64(9);
        var size = metadata.I64(7);
        if (start < 4 || size <= 0 || start + size > _file.Length - 8)
            throw new InvalidDataException($"its pages ({start}+{size}) lie outside the file");
        var bytes = new byte[size];
        ReadAt(start, bytes);
        Array? dictionary = null;
        var at = 0;
        var row = 0;
        var levels = Array.Empty<int>();
        while (row < rows)
        {
            if (at >= bytes.Length)
                throw new InvalidDataException($"its pages hold {row} values where the row group has {rows}");
            var header = ThriftCompact.Read(bytes.AsSpan(at), out var headerLength);
            at += headerLength;
            var compressed = header.I32(3);
            var uncompressed = header.I32(2);
            if (compressed < 0 || compressed > bytes.Length - at || uncompressed < 0 || uncompressed > MaxPageBytes)
                throw new InvalidDataException($"a page header declares {compressed} bytes where {bytes.Length - at} are left");
            var body = bytes.AsSpan(at, compressed);
            at += compressed;
            switch (header.I32(1))
            {
                case Pq.DictionaryPage:
                    var dictionaryHeader = header.Struct(7);
                    var count = dictionaryHeader.I32(1);
                    if (count < 0 || count > uncompressed + 1)
                        throw new InvalidDataException($"a dictionary page declares {count} values");
                    dictionary = leaf.DecodeDictionary(Decompress(codec, body, uncompressed), count);
                    break;
                case Pq.DataPage:
                {
                    var data = header.Struct(5);
                    var values = data.I32(1);
                    if (values < 0 || values > rows - row)
                        throw new InvalidDataException($"a data page declares {values} values where {rows - row} are left");
                    var page = Decompress(codec, body, uncompressed);
                    if (levels.Length < values)
                        levels = new int[values];
                    var levelBytes = BinaryPrimitives.ReadInt32LittleEndian(page);
                    if (levelBytes < 0 || levelBytes > page.Length - 4)
                        throw new InvalidDataException("a data page's definition levels run past the page");
                    RleHybrid.Read(page.AsSpan(4, levelBytes), 1, levels.AsSpan(0, values));
                    leaf.Decode(page.AsSpan(4 + levelBytes), data.I32(2), dictionary, levels.AsSpan(0, values), buffer, row);
                    row += values;
                    break;
                }
                case Pq.DataPageV2:
                {
                    var data = header.Struct(8);
                    var values = data.I32(1);
                    var definitionLength = data.I32(5);
                    var repetitionLength = data.I32(6);
                    if (values < 0 || values > rows - row)
                        throw new InvalidDataException($"a data page declares {values} values where {rows - row} are left");
                    if (definitionLength < 0 || repetitionLength < 0 || definitionLength + repetitionLength > body.Length)
                        throw new InvalidDataException("a data page's levels run past the page");
                    if (levels.Length < values)
                        levels = new int[values];
                    RleHybrid.Read(body.Slice(repetitionLength, definitionLength), 1, levels.AsSpan(0, values));
                    var rest = body[(repetitionLength + definitionLength)..];
                    var page = data.OptionalBool(7) == false ? rest.ToArray()
                        : Decompress(codec, rest, uncompressed - repetitionLength - definitionLength);
                    leaf.Decode(page, data.I32(4), dictionary, levels.AsSpan(0, values), buffer, row);
                    row += values;
                    break;
                }
                default:
                    break; // index pages and others: skipped
            }
        }
    }

    private static byte[] Decompress(int codec, ReadOnlySpan<byte> body, int uncompressed)
    {
        switch (codec)
        {
            case Pq.Uncompressed:
                return body.ToArray();
            case Pq.Snappy:
                var output = new byte[uncompressed];
                Snappy.Decompress(body, output);
                return output;
            case Pq.Gzip:
                using (var input = new MemoryStream(body.ToArray()))
                using (var gzip = new GZipStream(input, CompressionMode.Decompress))
                {
                    var result = new byte[uncompressed];
                    gzip.ReadExactly(result);
                    return result;
                }
            default:
                throw new NotSupportedException($"its pages are compressed with codec {codec} (Ferry reads none, snappy and gzip)");
        }
    }

    private void ReadAt(long offset, Span<byte> destination)
    {
        _file.Position = offset;
        _file.ReadExactly(destination);
    }
}

/// <summary>How one flat column's physical values become its copy type, in every encoding Ferry reads.</summary>
internal abstract class LeafReader(string name)
{
    public string Name { get; } = name;
    public abstract Type Type { get; }

    /// <summary>Whether the column's times are stored in nanoseconds.</summary>
    public bool Nanoseconds { get; private init; }

    public abstract Array DecodeDictionary(byte[] page, int count);
    public abstract void Decode(ReadOnlySpan<byte> page, int encoding, Array? dictionary, ReadOnlySpan<int> levels, ColumnBuffer buffer, int start);

    public static LeafReader For(ThriftStruct element, string name)
    {
        var physical = element.I32(1);
        var converted = element.OptionalI32(6);
        var logical = element.OptionalStruct(10);
        var scale = element.OptionalI32(7) ?? logical?.OptionalStruct(5)?.OptionalI32(1) ?? 0;
        var isDecimal = converted == Pq.ConvertedDecimal || logical?.Has(5) == true;
        var timestamp = logical?.OptionalStruct(8);
        var time = logical?.OptionalStruct(7);
        var integer = logical?.OptionalStruct(10);
        var isString = converted is Pq.ConvertedUtf8 or Pq.ConvertedJson or 4 || logical?.Has(1) == true || logical?.Has(12) == true || logical?.Has(4) == true;
        long Unit(ThriftStruct? unit) => unit?.Has(1) == true ? 1000 : unit?.Has(3) == true ? -1 : 1; // micros per unit (nanos: divide)
        switch (physical)
        {
            case Pq.Boolean:
                return new Booleans(name);
            case Pq.Int32:
                if (isDecimal)
                    return new Fixed<decimal>(name, 4, d => Pq.Rescale(BinaryPrimitives.ReadInt32LittleEndian(d), scale), true);
                if (converted == Pq.ConvertedDate || logical?.Has(6) == true)
                    return new Fixed<DateOnly>(name, 4, d => DateOnly.FromDayNumber(checked(Pq.UnixEpochDay + BinaryPrimitives.ReadInt32LittleEndian(d))), true);
                if (converted == Pq.ConvertedTimeMillis || time is not null)
                    return new Fixed<TimeOnly>(name, 4, d => new TimeOnly(BinaryPrimitives.ReadInt32LittleEndian(d) * TimeSpan.TicksPerMillisecond), true);
                if (converted == Pq.ConvertedUint8 || integer is not null && integer.OptionalBool(2) == false && integer.OptionalI32(1) == 8)
                    return new Fixed<byte>(name, 4, d => checked((byte)BinaryPrimitives.ReadInt32LittleEndian(d)), true);
                if (converted is Pq.ConvertedInt16 or 15 || integer is not null && integer.OptionalBool(2) != false && integer.OptionalI32(1) is 8 or 16)
                    return new Fixed<short>(name, 4, d => checked((short)BinaryPrimitives.ReadInt32LittleEndian(d)), true);
                if (converted is 12 || integer is not null && integer.OptionalBool(2) == false && integer.OptionalI32(1) == 16)
                    return new Fixed<int>(name, 4, d => BinaryPrimitives.ReadUInt16LittleEndian(d), true);
                if (converted is 13 || integer is not null && integer.OptionalBool(2) == false)
                    return new Fixed<long>(name, 4, d => BinaryPrimitives.ReadUInt32LittleEndian(d), true);
                return new Fixed<int>(name, 4, d => BinaryPrimitives.ReadInt32LittleEndian(d), true);
            case Pq.Int64:
                if (isDecimal)
                    return new Fixed<decimal>(name, 8, d => Pq.Rescale(BinaryPrimitives.ReadInt64LittleEndian(d), scale), true);
                if (timestamp is not null || converted is Pq.ConvertedTimestampMicros or Pq.ConvertedTimestampMillis)
                {
                    var unit = timestamp is not null ? Unit(timestamp.OptionalStruct(2)) : converted == Pq.ConvertedTimestampMillis ? 1000 : 1;
                    DateTime At(ReadOnlySpan<byte> d) => Pq.UnixEpoch.AddTicks(Ticks(BinaryPrimitives.ReadInt64LittleEndian(d), unit));
                    return timestamp?.OptionalBool(1) == true
                        ? new Fixed<DateTimeOffset>(name, 8, d => new DateTimeOffset(DateTime.SpecifyKind(At(d), DateTimeKind.Utc)), true) { Nanoseconds = unit == -1 }
                        : new Fixed<DateTime>(name, 8, d => DateTime.SpecifyKind(At(d), DateTimeKind.Unspecified), true) { Nanoseconds = unit == -1 };
                }
                if (converted == Pq.ConvertedTimeMicros || time is not null)
                {
                    var unit = time is not null ? Unit(time.OptionalStruct(2)) : 1;
                    return new Fixed<TimeOnly>(name, 8, d => new TimeOnly(Ticks(BinaryPrimitives.ReadInt64LittleEndian(d), unit)), true) { Nanoseconds = unit == -1 };
                }
                if (converted is 14 || integer is not null && integer.OptionalBool(2) == false)
                    return new Fixed<decimal>(name, 8, d => BinaryPrimitives.ReadUInt64LittleEndian(d), true);
                return new Fixed<long>(name, 8, d => BinaryPrimitives.ReadInt64LittleEndian(d), true);
            case Pq.Int96:
                // Legacy timestamps: nanoseconds of the day, then the Julian day, both little-endian.
                return new Fixed<DateTime>(name, 12, d => DateTime.UnixEpoch.AddDays(BinaryPrimitives.ReadInt32LittleEndian(d[8..]) - 2_440_588)
                    .AddTicks(BinaryPrimitives.ReadInt64LittleEndian(d) / 100), false);
            case Pq.Float:
                return new Fixed<float>(name, 4, d => BinaryPrimitives.ReadSingleLittleEndian(d), false);
            case Pq.Double:
                return new Fixed<double>(name, 8, d => BinaryPrimitives.ReadDoubleLittleEndian(d), false);
            case Pq.ByteArray:
                if (isDecimal)
                    return new Variable<decimal>(name, d => Pq.Rescale(d.IsEmpty ? 0 : Pq.ReadBigEndian(d), scale));
                return isString ? new Variable<string>(name, d => Encoding.UTF8.GetString(d)) : new Variable<byte[]>(name, d => d.ToArray());
            case Pq.FixedLenByteArray:
                var length = element.OptionalI32(2) ?? throw new InvalidDataException($"column '{name}' is FIXED_LEN_BYTE_ARRAY without a length");
                if (length is <= 0 or > 1 << 20)
                    throw new InvalidDataException($"column '{name}' declares values of {length} bytes");
                if (isDecimal)
                    return length > 16 ? throw new NotSupportedException($"column '{name}' is a decimal of {length} bytes, wider than Ferry reads")
                        : new Fixed<decimal>(name, length, d => Pq.Rescale(Pq.ReadBigEndian(d), scale), false);
                if (logical?.Has(14) == true && length == 16)
                    return new Fixed<Guid>(name, 16, d => new Guid(d, bigEndian: true), false);
                if (converted == Pq.ConvertedInterval && length == 12)
                    return new Fixed<TimeSpan>(name, 12, d => BinaryPrimitives.ReadUInt32LittleEndian(d) != 0
                        ? throw new InvalidDataException($"column '{name}' holds an interval with months, which has no fixed length")
                        : TimeSpan.FromDays(BinaryPrimitives.ReadUInt32LittleEndian(d[4..])) + TimeSpan.FromMilliseconds(BinaryPrimitives.ReadUInt32LittleEndian(d[8..])), false);
                return new Fixed<byte[]>(name, length, d => d.ToArray(), false);
            default:
                throw new NotSupportedException($"column '{name}' has physical type {physical}, which Ferry does not read");
        }
    }

    private static long Ticks(long value, long unit) => unit == -1 ? value / 100 : checked(value * unit * 10);

    /// <summary>Puts decoded values where the definition levels say a value is; nulls elsewhere.</summary>
    protected static void Scatter<T>(ReadOnlySpan<int> levels, ColumnBuffer<T> buffer, int start, Func<int, T> value)
    {
        var next = 0;
        for (var i = 0; i < levels.Length; i++)
        {
            if (levels[i] == 0)
                buffer.SetNull(start + i);
            else
                buffer.Set(start + i, value(next++));
        }
    }

    protected static int Present(ReadOnlySpan<int> levels)
    {
        var count = 0;
        foreach (var level in levels)
            count += level;
        return count;
    }

    protected static int[] DictionaryIndexes(ReadOnlySpan<byte> page, int count, int dictionarySize)
    {
        if (page.IsEmpty)
            throw new InvalidDataException("a dictionary-encoded page has no bit width");
        var indexes = new int[count];
        RleHybrid.Read(page[1..], page[0], indexes);
        foreach (var index in indexes)
        {
            if ((uint)index >= (uint)dictionarySize)
                throw new InvalidDataException($"a dictionary index {index} is outside the dictionary of {dictionarySize}");
        }
        return indexes;
    }

    private sealed class Booleans(string name) : LeafReader(name)
    {
        public override Type Type => typeof(bool);

        public override Array DecodeDictionary(byte[] page, int count) => throw new InvalidDataException("a BOOLEAN column has a dictionary");

        public override void Decode(ReadOnlySpan<byte> page, int encoding, Array? dictionary, ReadOnlySpan<int> levels, ColumnBuffer buffer, int start)
        {
            var count = Present(levels);
            var values = new int[count];
            if (encoding == Pq.Rle)
            {
                if (page.Length < 4)
                    throw new InvalidDataException("an RLE boolean page is cut short");
                RleHybrid.Read(page[4..], 1, values);
            }
            else if (encoding == Pq.Plain)
            {
                if (page.Length * 8L < count)
                    throw new InvalidDataException("a boolean page is cut short");
                for (var i = 0; i < count; i++)
                    values[i] = page[i >> 3] >> (i & 7) & 1;
            }
            else
            {
                throw new NotSupportedException($"encoding {encoding} for booleans is not one Ferry reads");
            }
            Scatter(levels, (ColumnBuffer<bool>)buffer, start, i => values[i] != 0);
        }
    }

    private delegate T Convert<T>(ReadOnlySpan<byte> data);

    private sealed class Fixed<T>(string name, int width, Convert<T> convert, bool integer) : LeafReader(name)
    {
        public override Type Type => typeof(T);

        public override Array DecodeDictionary(byte[] page, int count)
        {
            if ((long)count * width > page.Length)
                throw new InvalidDataException("a dictionary page is cut short");
            var values = new T[count];
            for (var i = 0; i < count; i++)
                values[i] = convert(page.AsSpan(i * width, width));
            return values;
        }

        public override void Decode(ReadOnlySpan<byte> page, int encoding, Array? dictionary, ReadOnlySpan<int> levels, ColumnBuffer buffer, int start)
        {
            var count = Present(levels);
            var typed = (ColumnBuffer<T>)buffer;
            switch (encoding)
            {
                case Pq.Plain:
                    if ((long)count * width > page.Length)
                        throw new InvalidDataException($"a page holds {page.Length} bytes for {count} values of {width}");
                    var bytes = page.ToArray();
                    Scatter(levels, typed, start, i => convert(bytes.AsSpan(i * width, width)));
                    break;
                case Pq.PlainDictionary or Pq.RleDictionary:
                    var values = (T[]?)dictionary ?? throw new InvalidDataException("a dictionary-encoded page comes without a dictionary page");
                    var indexes = DictionaryIndexes(page, count, values.Length);
                    Scatter(levels, typed, start, i => values[indexes[i]]);
                    break;
                case Pq.ByteStreamSplit:
                    // Byte k of value i is at k × count + i: the values' bytes gathered back together.
                    if ((long)count * width > page.Length)
                        throw new InvalidDataException($"a page holds {page.Length} bytes for {count} values of {width}");
                    var split = page.ToArray();
                    var gathered = new byte[width];
                    Scatter(levels, typed, start, i =>
                    {
                        for (var k = 0; k < width; k++)
                            gathered[k] = split[k * count + i];
                        return convert(gathered);
                    });
                    break;
                case Pq.DeltaBinaryPacked when integer:
                    var raw = DeltaBinaryPacked.Decode(page, count);
                    var scratch = new byte[8];
                    Scatter(levels, typed, start, i =>
                    {
                        BinaryPrimitives.WriteInt64LittleEndian(scratch, raw[i]);
                        return convert(scratch.AsSpan(0, width));
                    });
                    break;
                default:
                    throw new NotSupportedException($"encoding {encoding} is not one Ferry reads for column '{Name}'");
            }
        }
    }

    private sealed class Variable<T>(string name, Convert<T> convert) : LeafReader(name)
    {
        public override Type Type => typeof(T);

        public override Array DecodeDictionary(byte[] page, int count) => Plain(page, count);

        private T[] Plain(ReadOnlySpan<byte> page, int count)
        {
            var values = new T[count];
            var at = 0;
            for (var i = 0; i < count; i++)
            {
                if (page.Length - at < 4)
                    throw new InvalidDataException("a page of byte arrays is cut short");
                var length = BinaryPrimitives.ReadInt32LittleEndian(page[at..]);
                if (length < 0 || length > page.Length - at - 4)
                    throw new InvalidDataException($"a value of {length} bytes runs past its page");
                values[i] = convert(page.Slice(at + 4, length));
                at += 4 + length;
            }
            return values;
        }

        public override void Decode(ReadOnlySpan<byte> page, int encoding, Array? dictionary, ReadOnlySpan<int> levels, ColumnBuffer buffer, int start)
        {
            var count = Present(levels);
            var typed = (ColumnBuffer<T>)buffer;
            switch (encoding)
            {
                case Pq.Plain:
                    var values = Plain(page, count);
                    Scatter(levels, typed, start, i => values[i]);
                    break;
                case Pq.DeltaLengthByteArray:
                    var lengths = DeltaBinaryPacked.Decode(page, count, out var at);
                    var items = new T[count];
                    for (var i = 0; i < count; i++)
                    {
                        if (lengths[i] < 0 || lengths[i] > page.Length - at)
                            throw new InvalidDataException($"a value of {lengths[i]} bytes runs past its page");
                        items[i] = convert(page.Slice(at, (int)lengths[i]));
                        at += (int)lengths[i];
                    }
                    Scatter(levels, typed, start, i => items[i]);
                    break;
                case Pq.PlainDictionary or Pq.RleDictionary:
                    var entries = (T[]?)dictionary ?? throw new InvalidDataException("a dictionary-encoded page comes without a dictionary page");
                    var indexes = DictionaryIndexes(page, count, entries.Length);
                    Scatter(levels, typed, start, i => entries[indexes[i]]);
                    break;
                default:
                    throw new NotSupportedException($"encoding {encoding} is not one Ferry reads for column '{Name}'");
            }
        }
    }
}

/// <summary>DELTA_BINARY_PACKED: blocks of miniblocks of bit-packed deltas from a first value.</summary>
internal static class DeltaBinaryPacked
{
    public static long[] Decode(ReadOnlySpan<byte> data, int count) => Decode(data, count, out _);

    /// <summary>Decodes <paramref name="count"/> values; <paramref name="consumed"/> is where the encoded values end.</summary>
    public static long[] Decode(ReadOnlySpan<byte> data, int count, out int consumed)
    {
        var at = 0;
        var blockSize = (int)Varint(data, ref at);
        var miniblocks = (int)Varint(data, ref at);
        var total = (long)Varint(data, ref at);
        var value = ZigZag(Varint(data, ref at));
        if (blockSize <= 0 || miniblocks <= 0 || blockSize % miniblocks != 0 || blockSize / miniblocks % 8 != 0 || total < count)
            throw new InvalidDataException("a DELTA_BINARY_PACKED header is not valid");
        var perMiniblock = blockSize / miniblocks;
        var values = new long[count];
        consumed = at;
        if (count == 0)
            return values;
        values[0] = value;
        var filled = 1;
        while (filled < count)
        {
            var minDelta = ZigZag(Varint(data, ref at));
            if (at + miniblocks > data.Length)
                throw new InvalidDataException("a DELTA_BINARY_PACKED block is cut short");
            var widths = data.Slice(at, miniblocks).ToArray();
            at += miniblocks;
            foreach (var width in widths)
            {
                if (filled >= count)
                    break;
                if (width > 64 || at + perMiniblock * width / 8 > data.Length)
                    throw new InvalidDataException("a DELTA_BINARY_PACKED miniblock is cut short");
                var bit = 0L;
                for (var i = 0; i < perMiniblock && filled < count; i++)
                {
                    ulong delta = 0;
                    for (var b = 0; b < width; b++, bit++)
                        delta |= (ulong)(data[at + (int)(bit >> 3)] >> (int)(bit & 7) & 1) << b;
                    value = unchecked(value + minDelta + (long)delta);
                    values[filled++] = value;
                }
                at += perMiniblock * width / 8;
            }
        }
        consumed = at;
        return values;
    }

    private static ulong Varint(ReadOnlySpan<byte> data, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (at >= data.Length)
                throw new InvalidDataException("a DELTA_BINARY_PACKED header is cut short");
            var b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        throw new InvalidDataException("a DELTA_BINARY_PACKED number is too long");
    }

    private static long ZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);
}
