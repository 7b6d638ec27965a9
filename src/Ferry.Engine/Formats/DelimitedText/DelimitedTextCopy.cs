using System.Buffers;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Formats.DelimitedText;

/// <summary>Reads a delimited text file as rows of strings (null for the null value), with the header's names or ADF's Prop_N.</summary>
public sealed class DelimitedTextSource(SourceFile source, DelimitedTextFormat format, string? compression) : ICopySource
{
    private Stream? _stream;
    private CountingStream? _counter;
    private StreamReader? _text;
    private DelimitedTextReader? _reader;
    private readonly List<string?> _fields = [];
    private int _width;
    private List<string?>? _pending;

    public long BytesRead => _counter?.Count ?? 0;
    public int FilesRead => 1;

    private string File => source.Name;

    public async Task<IReadOnlyList<CopyColumn>> OpenAsync(CancellationToken ct)
    {
        _counter = new CountingStream(await source.OpenAsync(ct));
        _stream = FileCompression.Decompress(_counter, compression);
        _text = new StreamReader(_stream, format.Encoding, detectEncodingFromByteOrderMarks: true, 1 << 16);
        _reader = new DelimitedTextReader(_text, format);
        List<CopyColumn> columns;
        if (format.FirstRowAsHeader && _reader.TryReadRecord(_fields))
        {
            columns = _fields.Select((f, i) => new CopyColumn(string.IsNullOrEmpty(f) ? $"Prop_{i}" : f, typeof(string))).ToList();
        }
        else
        {
            // Without a header the first row tells the width; it is kept to be read again.
            _pending = _reader.TryReadRecord(_fields) ? [.. _fields] : null;
            columns = Enumerable.Range(0, _pending?.Count ?? 0).Select(i => new CopyColumn($"Prop_{i}", typeof(string))).ToList();
        }
        _width = columns.Count;
        return columns;
    }

    public ValueTask<bool> ReadAsync(RowBatch batch, CancellationToken ct)
    {
        var any = false;
        while (!batch.IsFull && NextRecord() is { } fields)
        {
            if (fields.Count != _width)
                throw new DataStoreException(ErrorCodes.InvalidData,
                    $"'{File}' line {_reader!.Line} has {fields.Count} columns where the file has {_width}; check columnDelimiter, quoteChar and escapeChar.");
            for (var i = 0; i < _width; i++)
            {
                var column = (ColumnBuffer<string>)batch.Columns[i];
                if (fields[i] is { } value)
                    column.Set(batch.Count, value);
                else
                    column.SetNull(batch.Count);
            }
            batch.Count++;
            any = true;
        }
        return ValueTask.FromResult(any);
    }

    private List<string?>? NextRecord()
    {
        if (_pending is not null)
        {
            var pending = _pending;
            _pending = null;
            return pending;
        }
        try
        {
            return _reader!.TryReadRecord(_fields) ? _fields : null;
        }
        catch (DecoderFallbackException e)
        {
            throw new DataStoreException(ErrorCodes.InvalidData, $"'{File}' near line {_reader!.Line} is not valid {format.Encoding.WebName}: {e.Message}");
        }
    }

    public ValueTask DisposeAsync()
    {
        _text?.Dispose();
        _stream?.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Writes a delimited text file that appears under its name only when whole: rows go to a temporary file beside it,
/// renamed over the target at commit, deleted if the copy fails or is cancelled. Values are formatted from their typed
/// columns straight into the writer's buffer, with the copy's culture and date formats.
/// </summary>
public sealed class DelimitedTextSink(string file, DelimitedTextFormat format, string? compression, TypeConversionSettings? settings = null) : ICopySink
{
    private readonly TypeConversionSettings _settings = settings ?? TypeConversionSettings.Default;
    private readonly char[] _scratch = new char[256];
    private readonly char[] _buffer = new char[1 << 16];
    private int _length;
    private readonly SearchValues<char> _special = SearchValues.Create(
        new[] { format.ColumnDelimiter, '\r', '\n', format.QuoteChar ?? '\n', format.EscapeChar ?? '\n', format.RowDelimiter ?? '\n' }.Distinct().ToArray());
    private StagedFile? _file;
    private StreamWriter? _writer;
    private long _rows;
    private readonly char _delimiter = format.ColumnDelimiter;
    private readonly string _rowEnd = format.RowDelimiter is { } r ? r.ToString() : "\n";

    public long BytesWritten => _file?.BytesWritten ?? 0;
    public int FilesWritten => _file?.Committed == true ? 1 : 0;
    public long? CommittedBefore => null;

    public Task<IReadOnlyList<Type>> OpenAsync(IReadOnlyList<CopyColumn> columns, CancellationToken ct)
    {
        _file = new StagedFile(file, compression);
        _writer = new StreamWriter(_file.Stream, format.Encoding, 1 << 16, leaveOpen: true);
        if (format.FirstRowAsHeader)
        {
            for (var i = 0; i < columns.Count; i++)
            {
                if (i > 0)
                    Append(_delimiter);
                WriteField(columns[i].Name);
            }
            Append(_rowEnd);
            Flush();
        }
        return Task.FromResult<IReadOnlyList<Type>>(columns.Select(c => c.Type).ToList());
    }

    public ValueTask WriteAsync(RowBatch batch, CancellationToken ct)
    {
        var columns = batch.Columns;
        for (var r = 0; r < batch.Count; r++)
        {
            for (var i = 0; i < columns.Length; i++)
            {
                if (i > 0)
                    Append(_delimiter);
                if (columns[i].Nulls[r])
                {
                    Append(format.NullValue);
                    continue;
                }
                // Numbers, dates and the like are formatted straight into the row buffer; text is copied in (quoted if need be).
                if (_buffer.Length - _length < 128)
                    Flush();
                var free = _buffer.AsSpan(_length);
                var text = columns[i].Text(r, free, _settings);
                if (!text.Overlaps(free))
                {
                    WriteField(text);
                }
                else if (!NeedsQuotes(text))
                {
                    _length += text.Length;
                }
                else
                {
                    // Formatted in place but must be quoted: moved out of the way first, as the quote goes where it starts.
                    if (text.Length > _scratch.Length)
                    {
                        WriteField(text.ToString());
                        continue;
                    }
                    text.CopyTo(_scratch);
                    WriteField(_scratch.AsSpan(0, text.Length));
                }
            }
            Append(_rowEnd);
            if (_length > _buffer.Length / 2)
                Flush();
        }
        Flush();
        _rows += batch.Count;
        return ValueTask.CompletedTask;
    }

    private bool NeedsQuotes(ReadOnlySpan<char> value) => value.Length == 0 || value.IndexOfAny(_special) >= 0 || value.SequenceEqual(format.NullValue);

    /// <summary>Quotes a field when it must be (delimiter, quote, escape, line break, or text that would read as null).</summary>
    private void WriteField(ReadOnlySpan<char> value)
    {
        if (!NeedsQuotes(value) || format.QuoteChar is not { } quote)
        {
            Append(value);
            return;
        }
        var escape = format.EscapeChar ?? quote;
        Append(quote);
        while (value.Length > 0)
        {
            var next = escape == quote ? value.IndexOf(quote) : value.IndexOfAny(quote, escape);
            if (next < 0)
            {
                Append(value);
                break;
            }
            Append(value[..next]);
            Append(escape);
            Append(value[next]);
            value = value[(next + 1)..];
        }
        Append(quote);
    }

    private void Append(char c)
    {
        if (_length == _buffer.Length)
            Flush();
        _buffer[_length++] = c;
    }

    private void Append(ReadOnlySpan<char> text)
    {
        if (text.Length > _buffer.Length - _length)
        {
            Flush();
            if (text.Length > _buffer.Length)
            {
                _writer!.Write(text);
                return;
            }
        }
        text.CopyTo(_buffer.AsSpan(_length));
        _length += text.Length;
    }

    private void Flush()
    {
        _writer!.Write(_buffer, 0, _length);
        _length = 0;
    }

    public async Task CommitAsync(long? expectedRows, CancellationToken ct)
    {
        await _writer!.FlushAsync(ct);
        await _writer.DisposeAsync();
        _writer = null;
        if (expectedRows is { } expected && expected != _rows)
            throw new DataStoreException(ErrorCodes.InvalidData, $"Data consistency check failed for '{file}': {_rows} rows written, {expected} expected. Nothing was committed.");
        _file!.Commit(verify: expectedRows is not null);
    }

    public async ValueTask DisposeAsync()
    {
        if (_writer is not null)
            await _writer.DisposeAsync();
        _file?.Dispose();
    }
}

/// <summary>Counts the bytes that pass, for dataRead and dataWritten.</summary>
public sealed class CountingStream(Stream inner, System.Security.Cryptography.IncrementalHash? hash = null) : Stream
{
    public long Count { get; private set; }
    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        Count += read;
        return read;
    }
    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        hash?.AppendData(buffer, offset, count);
        Count += count;
    }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }
}
