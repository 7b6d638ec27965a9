using System.Buffers.Binary;
using Ferry.Contracts.Problems;
using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Connectors.Postgres.BinaryCopy;

/// <summary>
/// Reads PostgreSQL's binary COPY format (the 11-byte signature, flags and header extension, then per row a 16-bit field
/// count and per field a 32-bit length, -1 for NULL, and the value's bytes in its type's binary send format, all
/// big-endian; a field count of -1 ends the data) straight from the COPY stream into typed column buffers, one
/// decoder per column: no per-value dispatch through a driver, no boxing.
/// </summary>
public sealed class BinaryCopyReader(Stream stream, IReadOnlyList<BinaryDecoder> decoders, string what)
{
    // "PGCOPY\n", 0xFF, "\r\n", 0: written as bytes, since 0xFF is not a character of a UTF-8 literal.
    private static ReadOnlySpan<byte> Signature => [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00];
    private byte[] _buffer = new byte[1 << 18];
    private int _position;
    private int _end;
    private bool _started;
    private bool _done;
    private long _rows;

    /// <summary>The value bytes read so far (what dataRead counts for a table source).</summary>
    public long BytesRead { get; private set; }

    /// <summary>Appends rows to <paramref name="batch"/> until it is full or the data ends; false when there were no more rows.</summary>
    public bool Read(RowBatch batch)
    {
        if (!_started)
            ReadHeader();
        var any = false;
        while (!_done && !batch.IsFull)
        {
            Ensure(2);
            var fields = BinaryPrimitives.ReadInt16BigEndian(_buffer.AsSpan(_position));
            _position += 2;
            if (fields == -1)
            {
                _done = true;
                break;
            }
            if (fields != decoders.Count)
                throw Corrupt($"a row has {fields} fields where the query has {decoders.Count} columns");
            var row = batch.Count;
            for (var i = 0; i < decoders.Count; i++)
            {
                Ensure(4);
                var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_position));
                _position += 4;
                if (length < 0)
                {
                    decoders[i].SetNull(batch.Columns[i], row);
                    continue;
                }
                Ensure(length);
                try
                {
                    BytesRead += decoders[i].Decode(_buffer.AsSpan(_position, length), batch.Columns[i], row);
                }
                catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException or OverflowException or IndexOutOfRangeException)
                {
                    throw new DataStoreException(ErrorCodes.InvalidData,
                        $"Reading {what}, row {_rows + 1}, column '{decoders[i].Column}': {(e is FormatException ? e.Message : "a value .NET cannot hold (" + e.Message + ")")}.", e);
                }
                _position += length;
            }
            batch.Count++;
            _rows++;
            any = true;
        }
        return any;
    }

    private void ReadHeader()
    {
        _started = true;
        Ensure(Signature.Length + 8);
        if (!_buffer.AsSpan(_position, Signature.Length).SequenceEqual(Signature))
            throw Corrupt("the data does not start with PostgreSQL's binary COPY signature");
        _position += Signature.Length + 4;
        var extension = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_position));
        _position += 4;
        Ensure(extension);
        _position += extension;
    }

    /// <summary>Makes at least <paramref name="count"/> unread bytes available, reading more (and growing the buffer for a large value) as needed.</summary>
    private void Ensure(int count)
    {
        if (_end - _position >= count)
            return;
        if (count > _buffer.Length)
        {
            var larger = new byte[Math.Max(count, _buffer.Length * 2)];
            _buffer.AsSpan(_position, _end - _position).CopyTo(larger);
            _buffer = larger;
        }
        else
        {
            _buffer.AsSpan(_position, _end - _position).CopyTo(_buffer);
        }
        _end -= _position;
        _position = 0;
        while (_end < count)
        {
            var read = stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
                throw Corrupt("the data ends in the middle of a row");
            _end += read;
        }
    }

    private DataStoreException Corrupt(string problem) => new(ErrorCodes.InvalidData, $"Reading {what}: {problem}.");
}
