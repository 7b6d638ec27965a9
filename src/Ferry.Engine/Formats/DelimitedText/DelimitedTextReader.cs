using System.Text;

namespace Ferry.Engine.Formats.DelimitedText;

/// <summary>
/// Reads delimited text one record at a time: quoted fields may hold delimiters and line breaks, the escape character
/// (or a doubled quote when the escape is the quote) puts a quote inside, an unquoted field equal to the null value
/// reads as null, blank lines are skipped.
/// </summary>
public sealed class DelimitedTextReader(TextReader reader, DelimitedTextFormat format)
{
    private readonly StringBuilder _field = new();

    /// <summary>The line (1-based) the last record started on, for messages.</summary>
    public long Line { get; private set; }
    private long _line = 1;

    public bool TryReadRecord(List<string?> fields)
    {
        while (true)
        {
            fields.Clear();
            Line = _line;
            var c = reader.Read();
            if (c == -1)
                return false;
            var blank = ReadRecord(c, fields);
            if (!blank)
                return true;
        }
    }

    /// <summary>Reads one record starting with <paramref name="c"/>; true when it was a blank line.</summary>
    private bool ReadRecord(int c, List<string?> fields)
    {
        _field.Clear();
        bool inQuotes = false, quoted = false;
        while (true)
        {
            if (c == -1)
            {
                EndField(fields, quoted);
                return IsBlank(fields, quoted);
            }
            var ch = (char)c;
            if (inQuotes)
            {
                if (ch == format.EscapeChar && format.EscapeChar != format.QuoteChar)
                {
                    var next = reader.Read();
                    if (next != -1)
                        _field.Append((char)next);
                }
                else if (ch == format.QuoteChar)
                {
                    if (format.EscapeChar == format.QuoteChar && reader.Peek() == format.QuoteChar)
                        _field.Append((char)reader.Read());
                    else
                        inQuotes = false;
                }
                else
                {
                    if (ch == '\n')
                        _line++;
                    _field.Append(ch);
                }
            }
            else if (ch == format.QuoteChar && _field.Length == 0 && !quoted)
            {
                inQuotes = quoted = true;
            }
            else if (ch == format.ColumnDelimiter)
            {
                EndField(fields, quoted);
                _field.Clear();
                quoted = false;
            }
            else if (IsRowEnd(ch))
            {
                if (ch == '\r' && format.RowDelimiter is null && reader.Peek() == '\n')
                    reader.Read();
                _line++;
                EndField(fields, quoted);
                return IsBlank(fields, quoted);
            }
            else
            {
                _field.Append(ch);
            }
            c = reader.Read();
        }
    }

    private bool IsRowEnd(char ch) => format.RowDelimiter is { } row ? ch == row : ch is '\n' or '\r';

    private void EndField(List<string?> fields, bool quoted)
    {
        var value = _field.ToString();
        fields.Add(!quoted && value == format.NullValue ? null : value);
    }

    private static bool IsBlank(List<string?> fields, bool quoted) => fields.Count == 1 && !quoted && string.IsNullOrEmpty(fields[0]);
}
