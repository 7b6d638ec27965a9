using System.Buffers;
using System.Text;

namespace Ferry.Engine.Formats.DelimitedText;

/// <summary>
/// Reads delimited text one record at a time: quoted fields may hold delimiters and line breaks, the escape character
/// (or a doubled quote when the escape is the quote) puts a quote inside, an unquoted field equal to the null value
/// reads as null, blank lines are skipped. Works over a block of characters at a time, finding the next delimiter,
/// quote or line break with a vectorized search; an unquoted field becomes a string straight from the block.
/// </summary>
public sealed class DelimitedTextReader
{
    private readonly TextReader _reader;
    private readonly DelimitedTextFormat _format;
    private readonly char[] _buffer = new char[1 << 16];
    private readonly StringBuilder _field = new();
    private readonly SearchValues<char> _unquotedStops;
    private readonly SearchValues<char> _quotedStops;
    private readonly bool _escapeIsQuote;
    private int _position;
    private int _length;
    private long _line = 1;

    public DelimitedTextReader(TextReader reader, DelimitedTextFormat format)
    {
        _reader = reader;
        _format = format;
        _unquotedStops = SearchValues.Create(format.RowDelimiter is { } row ? [format.ColumnDelimiter, row] : [format.ColumnDelimiter, '\r', '\n']);
        var quote = format.QuoteChar ?? '\0';
        _escapeIsQuote = format.EscapeChar == format.QuoteChar;
        _quotedStops = SearchValues.Create(format.EscapeChar is { } escape && !_escapeIsQuote ? [quote, escape, '\n'] : [quote, '\n']);
    }

    /// <summary>The line (1-based) the last record started on, for messages.</summary>
    public long Line { get; private set; }

    public bool TryReadRecord(List<string?> fields)
    {
        while (true)
        {
            fields.Clear();
            Line = _line;
            if (!Fill())
                return false;
            bool more, quoted;
            string? value;
            do
            {
                (value, quoted, more) = ReadField();
                fields.Add(value);
            } while (more);
            if (!(fields.Count == 1 && !quoted && string.IsNullOrEmpty(value)))
                return true;
        }
    }

    private bool Fill()
    {
        if (_position < _length)
            return true;
        _length = _reader.Read(_buffer, 0, _buffer.Length);
        _position = 0;
        return _length > 0;
    }

    /// <summary>One field; <c>more</c> is true when a delimiter followed it (another field of the record comes).</summary>
    private (string? Value, bool Quoted, bool More) ReadField()
    {
        _field.Clear();
        var quoted = false;
        if (_format.QuoteChar is { } quote && Fill() && _buffer[_position] == quote)
        {
            quoted = true;
            _position++;
            ReadQuoted(quote);
        }
        while (Fill())
        {
            var span = _buffer.AsSpan(_position, _length - _position);
            var stop = span.IndexOfAny(_unquotedStops);
            if (stop < 0)
            {
                _field.Append(span);
                _position = _length;
                continue;
            }
            var text = span[..stop];
            var c = span[stop];
            _position += stop + 1;
            string? value;
            if (_field.Length == 0 && !quoted)
                value = text.SequenceEqual(_format.NullValue) ? null : new string(text);
            else
                value = Finish(_field.Append(text).ToString(), quoted);
            if (c == _format.ColumnDelimiter)
                return (value, quoted, true);
            if (c == '\r' && _format.RowDelimiter is null && Fill() && _buffer[_position] == '\n')
                _position++;
            _line++;
            return (value, quoted, false);
        }
        return (Finish(_field.ToString(), quoted), quoted, false);
    }

    private string? Finish(string value, bool quoted) => !quoted && value == _format.NullValue ? null : value;

    /// <summary>A quoted field's content, up to its closing quote (or the end of the data).</summary>
    private void ReadQuoted(char quote)
    {
        while (Fill())
        {
            var span = _buffer.AsSpan(_position, _length - _position);
            var stop = span.IndexOfAny(_quotedStops);
            if (stop < 0)
            {
                _field.Append(span);
                _position = _length;
                continue;
            }
            _field.Append(span[..stop]);
            var c = span[stop];
            _position += stop + 1;
            if (c == '\n')
            {
                _field.Append('\n');
                _line++;
            }
            else if (c != quote)
            {
                // The escape character: the next character is taken as it is.
                if (Fill())
                    _field.Append(_buffer[_position++]);
            }
            else if (_escapeIsQuote && Fill() && _buffer[_position] == quote)
            {
                _field.Append(quote);
                _position++;
            }
            else
            {
                return;
            }
        }
    }
}
