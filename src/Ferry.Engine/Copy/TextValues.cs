using System.Globalization;
using System.Text.Json.Nodes;

namespace Ferry.Engine.Copy;

/// <summary>
/// Values as text and back, invariantly and without loss: decimals keep every digit, timestamps their fraction and
/// offset, binary goes as base64. Used by text sinks, and to turn text into the type a table column wants.
/// </summary>
public static class TextValues
{
    public static string Format(object value) => value switch
    {
        string s => s,
        bool b => b ? "True" : "False",
        DateTime dt => dt.ToString(dt.TimeOfDay == TimeSpan.Zero && dt.Kind != DateTimeKind.Utc ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
        DateTimeOffset dto => dto.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        TimeOnly t => t.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
        TimeSpan ts => ts.ToString("c", CultureInfo.InvariantCulture),
        byte[] bytes => Convert.ToBase64String(bytes),
        Guid g => g.ToString("D"),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable items => new JsonArray(items.Cast<object?>().Select(Interactive.TabularResult.ToJson).ToArray()).ToJsonString(),
        _ => value.ToString() ?? "",
    };

    /// <summary>Text as <paramref name="type"/>; throws <see cref="FormatException"/> naming what it expected.</summary>
    public static object Parse(string text, Type type)
    {
        var s = text.Trim();
        try
        {
            return type switch
            {
                _ when type == typeof(string) => text,
                _ when type == typeof(short) => short.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture),
                _ when type == typeof(int) => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture),
                _ when type == typeof(long) => long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture),
                _ when type == typeof(decimal) => decimal.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
                _ when type == typeof(double) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
                _ when type == typeof(float) => float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
                _ when type == typeof(bool) => s.ToUpperInvariant() switch
                {
                    "TRUE" or "T" or "1" or "YES" or "Y" => true,
                    "FALSE" or "F" or "0" or "NO" or "N" => false,
                    _ => throw new FormatException(),
                },
                _ when type == typeof(DateOnly) => DateOnly.Parse(s, CultureInfo.InvariantCulture),
                _ when type == typeof(TimeOnly) => TimeOnly.Parse(s, CultureInfo.InvariantCulture),
                _ when type == typeof(DateTime) => DateTime.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces),
                _ when type == typeof(DateTimeOffset) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                _ when type == typeof(TimeSpan) => TimeSpan.Parse(s, CultureInfo.InvariantCulture),
                _ when type == typeof(Guid) => Guid.Parse(s),
                _ when type == typeof(byte[]) => Convert.FromBase64String(s),
                _ => text,
            };
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new FormatException($"'{(text.Length > 60 ? text[..60] + "…" : text)}' is not a valid {Describe(type)}");
        }
    }

    public static string Describe(Type type) => type == typeof(byte[]) ? "base64 byte array" : type.Name;
}
