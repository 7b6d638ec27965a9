using System.Buffers.Binary;

namespace Ferry.Engine.Formats.Parquet;

/// <summary>
/// Snappy's raw format (what Parquet's SNAPPY codec is): a varint of the uncompressed length, then literals and
/// back-references. No registry package provides it, so it is here, small: compression with a hash table over 64 KiB
/// blocks, and a decompressor that checks every length and offset against the buffers (a corrupt page is an error,
/// never a read out of bounds).
/// </summary>
public static class Snappy
{
    private const int BlockSize = 1 << 16;
    private const int HashBits = 14;

    public static int MaxCompressedLength(int length) => 32 + length + length / 6;

    /// <summary>Compresses <paramref name="input"/> into <paramref name="output"/> (at least <see cref="MaxCompressedLength"/> long); answers the bytes written.</summary>
    public static int Compress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var position = WriteVarint(output, (uint)input.Length);
        Span<int> table = stackalloc int[1 << HashBits];
        for (var start = 0; start < input.Length; start += BlockSize)
        {
            var block = input.Slice(start, Math.Min(BlockSize, input.Length - start));
            table.Fill(-1);
            int at = 0, literal = 0, misses = 0;
            while (at + 4 <= block.Length)
            {
                var word = BinaryPrimitives.ReadUInt32LittleEndian(block[at..]);
                var hash = (int)((word * 0x1E35A7BDu) >> (32 - HashBits));
                var candidate = table[hash];
                table[hash] = at;
                if (candidate < 0 || BinaryPrimitives.ReadUInt32LittleEndian(block[candidate..]) != word)
                {
                    at += 1 + (misses++ >> 5); // step faster through data that does not compress
                    continue;
                }
                misses = 0;
                position += Literal(block[literal..at], output[position..]);
                var length = 4 + block[(candidate + 4)..].CommonPrefixLength(block[(at + 4)..]);
                position += Copy(at - candidate, length, output[position..]);
                at += length;
                literal = at;
            }
            position += Literal(block[literal..], output[position..]);
        }
        return position;
    }

    private static int Literal(ReadOnlySpan<byte> literal, Span<byte> output)
    {
        if (literal.IsEmpty)
            return 0;
        var n = literal.Length - 1;
        int header;
        if (n < 60)
        {
            output[0] = (byte)(n << 2);
            header = 1;
        }
        else
        {
            var bytes = n < 1 << 8 ? 1 : n < 1 << 16 ? 2 : n < 1 << 24 ? 3 : 4;
            output[0] = (byte)((59 + bytes) << 2);
            for (var i = 0; i < bytes; i++)
                output[1 + i] = (byte)(n >> (8 * i));
            header = 1 + bytes;
        }
        literal.CopyTo(output[header..]);
        return header + literal.Length;
    }

    private static int Copy(int offset, int length, Span<byte> output)
    {
        var written = 0;
        while (length > 0)
        {
            // Pieces of at most 64 bytes, never leaving fewer than 4 for the last one.
            var piece = length > 64 ? (length - 64 < 4 ? 60 : 64) : length;
            if (piece is >= 4 and <= 11 && offset < 2048)
            {
                output[written] = (byte)(1 | ((piece - 4) << 2) | ((offset >> 8) << 5));
                output[written + 1] = (byte)offset;
                written += 2;
            }
            else
            {
                output[written] = (byte)(2 | ((piece - 1) << 2));
                BinaryPrimitives.WriteUInt16LittleEndian(output[(written + 1)..], (ushort)offset);
                written += 3;
            }
            length -= piece;
        }
        return written;
    }

    private static int WriteVarint(Span<byte> output, uint value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            output[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        output[i++] = (byte)value;
        return i;
    }

    /// <summary>The uncompressed length a compressed buffer declares.</summary>
    public static int UncompressedLength(ReadOnlySpan<byte> input)
    {
        uint value = 0;
        for (int i = 0, shift = 0; i < Math.Min(5, input.Length); i++, shift += 7)
        {
            value |= (uint)(input[i] & 0x7F) << shift;
            if (input[i] < 0x80)
                return value <= int.MaxValue ? (int)value : throw new InvalidDataException("snappy: the declared length is too large");
        }
        throw new InvalidDataException("snappy: the declared length is cut short");
    }

    /// <summary>Decompresses into <paramref name="output"/>, which must be exactly the declared length.</summary>
    public static void Decompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var length = UncompressedLength(input);
        if (length != output.Length)
            throw new InvalidDataException($"snappy: the data declares {length} bytes where the page says {output.Length}");
        var at = 0;
        while (input[at] >= 0x80)
            at++;
        at++;
        var written = 0;
        while (at < input.Length)
        {
            var tag = input[at++];
            int copyLength, offset;
            switch (tag & 3)
            {
                case 0:
                    var n = tag >> 2;
                    if (n >= 60)
                    {
                        var bytes = n - 59;
                        if (at + bytes > input.Length)
                            throw new InvalidDataException("snappy: a literal's length is cut short");
                        n = 0;
                        for (var i = 0; i < bytes; i++)
                            n |= input[at + i] << (8 * i);
                        at += bytes;
                        if (n < 0)
                            throw new InvalidDataException("snappy: a literal is too long");
                    }
                    n++;
                    if (n > input.Length - at || n > output.Length - written)
                        throw new InvalidDataException("snappy: a literal runs past the end of the data");
                    input.Slice(at, n).CopyTo(output[written..]);
                    at += n;
                    written += n;
                    continue;
                case 1:
                    if (at >= input.Length)
                        throw new InvalidDataException("snappy: a copy is cut short");
                    copyLength = 4 + ((tag >> 2) & 7);
                    offset = ((tag >> 5) << 8) | input[at++];
                    break;
                case 2:
                    if (at + 2 > input.Length)
                        throw new InvalidDataException("snappy: a copy is cut short");
                    copyLength = (tag >> 2) + 1;
                    offset = BinaryPrimitives.ReadUInt16LittleEndian(input[at..]);
                    at += 2;
                    break;
                default:
                    if (at + 4 > input.Length)
                        throw new InvalidDataException("snappy: a copy is cut short");
                    copyLength = (tag >> 2) + 1;
                    offset = BinaryPrimitives.ReadInt32LittleEndian(input[at..]);
                    at += 4;
                    break;
            }
            if (offset <= 0 || offset > written || copyLength > output.Length - written)
                throw new InvalidDataException("snappy: a copy refers outside the data");
            // Byte by byte when the copy overlaps what it writes (a run), as the format intends.
            if (offset >= copyLength)
            {
                output.Slice(written - offset, copyLength).CopyTo(output[written..]);
            }
            else
            {
                for (var i = 0; i < copyLength; i++)
                    output[written + i] = output[written - offset + i];
            }
            written += copyLength;
        }
        if (written != output.Length)
            throw new InvalidDataException($"snappy: the data holds {written} bytes where it declares {output.Length}");
    }
}
