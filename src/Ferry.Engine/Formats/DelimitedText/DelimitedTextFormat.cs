using System.Text;
using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Formats.DelimitedText;

/// <summary>ADF's DelimitedText settings with ADF's defaults: ',' between columns, any line break between rows, '"' quotes, '\' escapes, no header.</summary>
public sealed record DelimitedTextFormat(char ColumnDelimiter, char? RowDelimiter, char? QuoteChar, char? EscapeChar, bool FirstRowAsHeader,
    string NullValue, Encoding Encoding, string? Compression)
{
    public static DelimitedTextFormat From(JsonObject typeProperties)
    {
        return new DelimitedTextFormat(
            OneChar(typeProperties, "columnDelimiter", ',') ?? ',',
            RowDelimiterOf(typeProperties["rowDelimiter"]?.GetValue<string>()),
            OneChar(typeProperties, "quoteChar", '"'),
            OneChar(typeProperties, "escapeChar", '\\'),
            typeProperties["firstRowAsHeader"]?.GetValue<bool>() ?? false,
            typeProperties["nullValue"]?.GetValue<string>() ?? "",
            FormatEncoding.Of(typeProperties),
            typeProperties["compressionCodec"]?.GetValue<string>());
    }

    private static char? OneChar(JsonObject properties, string name, char fallback)
    {
        var value = properties[name]?.GetValue<string>();
        return value switch
        {
            null => fallback,
            "" => null,
            { Length: 1 } => value[0],
            @"\t" => '\t',
            _ => throw new DataStoreException(ErrorCodes.InvalidProperty, $"typeProperties.{name} '{value}' must be a single character (or empty for none)."),
        };
    }

    private static char? RowDelimiterOf(string? value) => value switch
    {
        null or "" or "\n" or "\r\n" or "\r" or @"\n" or @"\r\n" => null, // any line break
        { Length: 1 } => value[0],
        _ => throw new DataStoreException(ErrorCodes.InvalidProperty, $"typeProperties.rowDelimiter must be a line break or a single character, not '{value}'."),
    };
}

/// <summary>ADF's encodingName for text formats: UTF-8 by default; any name .NET knows.</summary>
public static class FormatEncoding
{
    public static Encoding Of(JsonObject typeProperties)
    {
        var name = typeProperties["encodingName"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name) || name.Equals("UTF-8", StringComparison.OrdinalIgnoreCase))
            return new UTF8Encoding(false, throwOnInvalidBytes: true);
        try
        {
            return Encoding.GetEncoding(name);
        }
        catch (ArgumentException)
        {
            throw new DataStoreException(ErrorCodes.InvalidProperty, $"typeProperties.encodingName '{name}' is not an encoding this node knows; use UTF-8, UTF-16, ASCII or ISO-8859-1.");
        }
    }
}
