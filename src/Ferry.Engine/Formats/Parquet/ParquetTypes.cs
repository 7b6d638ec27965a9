using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Ferry.Engine.Formats.Parquet;

/// <summary>Parquet's enums, by the numbers parquet.thrift gives them.</summary>
internal static class Pq
{
    public const int Boolean = 0, Int32 = 1, Int64 = 2, Int96 = 3, Float = 4, Double = 5, ByteArray = 6, FixedLenByteArray = 7;
    public const int Required = 0, Optional = 1, Repeated = 2;
    public const int Plain = 0, PlainDictionary = 2, Rle = 3, BitPacked = 4, DeltaBinaryPacked = 5, DeltaLengthByteArray = 6, RleDictionary = 8, ByteStreamSplit = 9;
    public const int Uncompressed = 0, Snappy = 1, Gzip = 2;
    public const int DataPage = 0, DictionaryPage = 2, DataPageV2 = 3;
    public const int ConvertedUtf8 = 0, ConvertedDecimal = 5, ConvertedDate = 6, ConvertedTimeMillis = 7, ConvertedTimeMicros = 8,
        ConvertedTimestampMillis = 9, ConvertedTimestampMicros = 10, ConvertedUint8 = 11, ConvertedInt16 = 16, ConvertedJson = 19, ConvertedInterval = 21;

    public static readonly DateTime UnixEpoch = DateTime.UnixEpoch;
    public static readonly int UnixEpochDay = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    /// <summary>Bytes a decimal of <paramref name="precision"/> digits needs as a big-endian two's complement integer.</summary>
    public static int DecimalBytes(int precision) => (int)Math.Ceiling((precision * Math.Log2(10) + 1) / 8);

    /// <summary>A decimal's unscaled value at <paramref name="scale"/>; false when it has more fraction digits or does not fit.</summary>
    public static bool TryUnscale(decimal value, int scale, int precision, out Int128 unscaled)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var magnitude = (Int128)((UInt128)(uint)bits[2] << 64 | (UInt128)(uint)bits[1] << 32 | (uint)bits[0]);
        var own = (bits[3] >> 16) & 0xFF;
        unscaled = 0;
        for (; own > scale; own--)
        {
            if (magnitude % 10 != 0)
                return false;
            magnitude /= 10;
        }
        var limit = Int128.One;
        for (var i = 0; i < precision; i++)
            limit *= 10;
        for (; own < scale; own++)
        {
            magnitude *= 10;
            if (magnitude >= limit)
                return false;
        }
        if (magnitude >= limit)
            return false;
        unscaled = bits[3] < 0 ? -magnitude : magnitude;
        return true;
    }

    public static decimal Rescale(Int128 unscaled, int scale)
    {
        var negative = unscaled < 0;
        var magnitude = (UInt128)(negative ? -unscaled : unscaled);
        while (scale > 28 || magnitude >> 96 != 0)
        {
            if (scale == 0 || magnitude % 10 != 0)
                throw new InvalidDataException($"a decimal of scale {scale} does not fit .NET's decimal");
            magnitude /= 10;
            scale--;
        }
        return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), (int)(uint)(magnitude >> 64), negative, (byte)scale);
    }

    public static void WriteBigEndian(Int128 value, Span<byte> destination)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)value;
            value >>= 8;
        }
    }

    public static Int128 ReadBigEndian(ReadOnlySpan<byte> source)
    {
        Int128 value = (sbyte)source[0] < 0 ? -1 : 0;
        foreach (var b in source)
            value = (value << 8) | b;
        return value;
    }

    public static void WriteUtf8(IBufferWriter<byte> output, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        var span = output.GetSpan(length + 4);
        BinaryPrimitives.WriteInt32LittleEndian(span, length);
        Encoding.UTF8.GetBytes(value, span[4..]);
        output.Advance(length + 4);
    }
}

/// <summary>
/// The RLE / bit-packed hybrid of definition levels and dictionary indices: written as bit-packed runs (of up to 63 groups of
/// 8), read in both forms.
/// </summary>
internal static class RleHybrid
{
    public static void Write(ArrayBufferWriter<byte> output, ReadOnlySpan<int> values, int bitWidth)
    {
        for (var start = 0; start < values.Length; start += 504)
        {
            var count = Math.Min(504, values.Length - start);
            var groups = (count + 7) / 8;
            WriteVarint(output, (uint)(groups << 1 | 1));
            var bytes = groups * bitWidth;
            var span = output.GetSpan(bytes)[..bytes];
            span.Clear();
            var bit = 0;
            for (var i = 0; i < count; i++)
            {
                var value = values[start + i];
                for (var b = 0; b < bitWidth; b++, bit++)
                {
                    if ((value >> b & 1) != 0)
                        span[bit >> 3] |= (byte)(1 << (bit & 7));
                }
            }
            output.Advance(bytes);
        }
    }

    public static void WriteVarint(ArrayBufferWriter<byte> output, uint value)
    {
        var span = output.GetSpan(5);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        output.Advance(i);
    }

    /// <summary>Reads <paramref name="values"/>.Length values; throws <see cref="InvalidDataException"/> when the data runs out.</summary>
    public static void Read(ReadOnlySpan<byte> data, int bitWidth, Span<int> values)
    {
        if (bitWidth is < 0 or > 32)
            throw new InvalidDataException($"bit width {bitWidth} is not valid");
        var at = 0;
        var filled = 0;
        var byteWidth = (bitWidth + 7) / 8;
        while (filled < values.Length)
        {
            var header = ReadVarint(data, ref at);
            if ((header & 1) == 0)
            {
                var count = (int)Math.Min(header >> 1, (ulong)(values.Length - filled));
                if (header >> 1 == 0 || at + byteWidth > data.Length)
                    throw new InvalidDataException("a run of levels or indices is cut short");
                var value = 0;
                for (var b = 0; b < byteWidth; b++)
                    value |= data[at + b] << (8 * b);
                at += byteWidth;
                values.Slice(filled, count).Fill(value);
                filled += count;
            }
            else
            {
                var groups = header >> 1;
                if (groups == 0 || groups * (ulong)bitWidth > (ulong)(data.Length - at))
                    throw new InvalidDataException("bit-packed levels or indices are cut short");
                var count = (int)Math.Min(groups * 8, (ulong)(values.Length - filled));
                var bit = 0L;
                var mask = bitWidth == 32 ? -1 : (1 << bitWidth) - 1;
                for (var i = 0; i < count; i++)
                {
                    var value = 0;
                    for (var b = 0; b < bitWidth; b++, bit++)
                        value |= (data[at + (int)(bit >> 3)] >> (int)(bit & 7) & 1) << b;
                    values[filled + i] = value & mask;
                }
                at += (int)(groups * (ulong)bitWidth);
                filled += count;
            }
        }
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= data.Length)
                throw new InvalidDataException("levels or indices are cut short");
            var b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        throw new InvalidDataException("a run header is too long");
    }
}
