using System.Globalization;
using System.Text.Json.Nodes;

namespace Ferry.Engine.Copy;

/// <summary>
/// Values as text and back, without loss: decimals keep every digit, timestamps their fraction and offset, binary goes
/// as base64. Invariant unless the copy's typeConversionSettings name a culture or date formats. Used by text sinks,
/// and to turn text into the type a table column wants.
/// </summary>
public static class TextValues
{
    private const string DateTimeOffsetFormat = "yyyy-MM-dd HH:mm:ss.FFFFFFFzzz";

    public static string Format(object value) => Format(value, TypeConversionSettings.Default);

    public static string Format(object value, TypeConversionSettings settings)
    {
        Span<char> scratch = stackalloc char[128];
        return value switch
        {
            string s => s,
            bool b => Format(b, scratch, settings).ToString(),
            DateTime dt => Format(dt, scratch, settings).ToString(),
            DateTimeOffset dto => Format(dto, scratch, settings).ToString(),
            DateOnly d => Format(d, scratch, settings).ToString(),
            TimeOnly t => Format(t, scratch, settings).ToString(),
            TimeSpan ts => Format(ts, scratch, settings).ToString(),
            byte[] bytes => Convert.ToBase64String(bytes),
            Guid g => g.ToString("D"),
            double d => d.ToString(settings.Culture),
            float f => f.ToString(settings.Culture),
            IFormattable f => f.ToString(null, settings.Culture),
            System.Collections.IEnumerable items => new JsonArray(items.Cast<object?>().Select(Interactive.TabularResult.ToJson).ToArray()).ToJsonString(),
            _ => value.ToString() ?? "",
        };
    }

    /// <summary>
    /// <paramref name="value"/> as text without boxing it: the string's own characters, or formatted into
    /// <paramref name="scratch"/> (a new string only when it does not fit there).
    /// </summary>
    public static ReadOnlySpan<char> Format<T>(T value, Span<char> scratch, TypeConversionSettings settings)
    {
        int written;
        var culture = settings.Culture;
        if (typeof(T) == typeof(string))
            return ((string)(object)value!).AsSpan();
        if (typeof(T) == typeof(bool))
            return (bool)(object)value! ? "True" : "False";
        if (typeof(T) == typeof(long))
            return ((long)(object)value!).TryFormat(scratch, out written, default, culture) ? scratch[..written] : Fallback(value, settings);
        if (typeof(T) == typeof(int))
            return ((int)(object)value!).TryFormat(scratch, out written, default, culture) ? scratch[..written] : Fallback(value, settings);
        if (typeof(T) == typeof(short))
            return ((short)(object)value!).TryFormat(scratch, out written, default, culture) ? scratch[..written] : Fallback(value, settings);
        if (typeof(T) == typeof(decimal))
            return ((decimal)(object)value!).TryFormat(scratch, out written, default, culture) ? scratch[..written] : Fallback(value, settings);
        if (typeof(T) == typeof(double))
            return ((double)(object)value!).TryFormat(scratch, out written, default, culture) ? scratch[..written] : Fallback(value, settings);
        if (typeof(T) == typeof(float))
            return ((float)(object)value!).TryFormat(scratch, out written, default, culture) ? scratch[..written] : Fallback(value, settings);
        if (typeof(T) == typeof(DateTime))
        {
            var dt = (DateTime)(object)value!;
            if (settings.DateTimeFormat is { } format)
                return dt.TryFormat(scratch, out written, format, culture) ? scratch[..written] : Fallback(value, settings);
            return scratch.Length >= 27 ? scratch[..WriteDateTime(dt, scratch)] : Fallback(value, settings);
        }
        if (typeof(T) == typeof(DateTimeOffset))
        {
            var dto = (DateTimeOffset)(object)value!;
            if (settings.DateTimeOffsetFormat is null && dto.Offset == TimeSpan.Zero && scratch.Length >= 33)
            {
                written = WriteDateTime(dto.UtcDateTime, scratch);
                "+00:00".AsSpan().CopyTo(scratch[written..]);
                return scratch[..(written + 6)];
            }
            return dto.TryFormat(scratch, out written, settings.DateTimeOffsetFormat ?? DateTimeOffsetFormat, culture) ? scratch[..written] : Fallback(value, settings);
        }
        if (typeof(T) == typeof(DateOnly))
        {
            var date = (DateOnly)(object)value!;
            if (scratch.Length < 10)
                return Fallback(value, settings);
            WriteDate(date.Year, date.Month, date.Day, scratch);
            return scratch[..10];
        }
        if (typeof(T) == typeof(TimeOnly))
            return ((TimeOnly)(object)value!).TryFormat(scratch, out written, "HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture) ? scratch[..written] : Fallback(value, settings);
        if (typeof(T) == typeof(TimeSpan))
            return ((TimeSpan)(object)value!).TryFormat(scratch, out written, "c", CultureInfo.InvariantCulture) ? scratch[..written] : Fallback(value, settings);
        if (typeof(T) == typeof(Guid))
            return ((Guid)(object)value!).TryFormat(scratch, out written, "D") ? scratch[..written] : Fallback(value, settings);
        if (typeof(T) == typeof(byte[]))
            return Convert.TryToBase64Chars((byte[])(object)value!, scratch, out written) ? scratch[..written] : Fallback(value, settings);
        return Fallback(value, settings);
    }

    private static ReadOnlySpan<char> Fallback<T>(T value, TypeConversionSettings settings) => Format(value!, settings).AsSpan();

    /// <summary>
    /// A DateTime as the format strings above write it ("yyyy-MM-dd HH:mm:ss", then ".FFFFFFF": the fraction without its
    /// trailing zeros, none when it is zero, and always when the kind is UTC or there is a time of day), digit by digit
    /// at a fraction of a custom format string's cost: timestamps are in most tables. Needs 27 characters.
    /// </summary>
    private static int WriteDateTime(DateTime value, Span<char> destination)
    {
        WriteDate(value.Year, value.Month, value.Day, destination);
        destination[10] = ' ';
        Digits(destination, 11, value.Hour, 2);
        destination[13] = ':';
        Digits(destination, 14, value.Minute, 2);
        destination[16] = ':';
        Digits(destination, 17, value.Second, 2);
        var position = 19;
        var ticks = (int)(value.Ticks % TimeSpan.TicksPerSecond);
        if (ticks != 0)
        {
            destination[position++] = '.';
            var digits = 7;
            while (ticks % 10 == 0)
            {
                ticks /= 10;
                digits--;
            }
            Digits(destination, position, ticks, digits);
            position += digits;
        }
        return position;
    }

    private static void WriteDate(int year, int month, int day, Span<char> destination)
    {
        Digits(destination, 0, year, 4);
        destination[4] = '-';
        Digits(destination, 5, month, 2);
        destination[7] = '-';
        Digits(destination, 8, day, 2);
    }

    private static void Digits(Span<char> destination, int at, int value, int count)
    {
        for (var i = at + count - 1; i >= at; i--)
        {
            destination[i] = (char)('0' + value % 10);
            value /= 10;
        }
    }

    /// <summary>Text as <paramref name="type"/>; throws <see cref="FormatException"/> naming what it expected.</summary>
    public static object Parse(string text, Type type) => Parse(text, type, TypeConversionSettings.Default);

    public static object Parse(string text, Type type, TypeConversionSettings settings)
    {
        var s = text.Trim();
        var culture = settings.Culture;
        try
        {
            return type switch
            {
                _ when type == typeof(string) => text,
                _ when type == typeof(byte) => byte.Parse(s, NumberStyles.Integer, culture),
                _ when type == typeof(short) => short.Parse(s, NumberStyles.Integer, culture),
                _ when type == typeof(int) => int.Parse(s, NumberStyles.Integer, culture),
                _ when type == typeof(long) => long.Parse(s, NumberStyles.Integer, culture),
                _ when type == typeof(decimal) => decimal.Parse(s, NumberStyles.Float, culture),
                _ when type == typeof(double) => double.Parse(s, NumberStyles.Float, culture),
                _ when type == typeof(float) => float.Parse(s, NumberStyles.Float, culture),
                _ when type == typeof(bool) => s.ToUpperInvariant() switch
                {
                    "TRUE" or "T" or "1" or "YES" or "Y" => true,
                    "FALSE" or "F" or "0" or "NO" or "N" => false,
                    _ => throw new FormatException(),
                },
                _ when type == typeof(DateOnly) => settings.DateTimeFormat is { } f
                    ? DateOnly.FromDateTime(DateTime.ParseExact(s, f, culture, DateTimeStyles.AllowWhiteSpaces))
                    : DateOnly.Parse(s, culture),
                _ when type == typeof(TimeOnly) => TimeOnly.Parse(s, CultureInfo.InvariantCulture),
                _ when type == typeof(DateTime) => settings.DateTimeFormat is { } f
                    ? DateTime.ParseExact(s, f, culture, DateTimeStyles.AllowWhiteSpaces)
                    : DateTime.Parse(s, culture, DateTimeStyles.AllowWhiteSpaces),
                _ when type == typeof(DateTimeOffset) => settings.DateTimeOffsetFormat is { } f
                    ? DateTimeOffset.ParseExact(s, f, culture, DateTimeStyles.AssumeUniversal)
                    : DateTimeOffset.Parse(s, culture, DateTimeStyles.AssumeUniversal),
                _ when type == typeof(TimeSpan) => TimeSpan.Parse(s, CultureInfo.InvariantCulture),
                _ when type == typeof(Guid) => Guid.Parse(s),
                _ when type == typeof(byte[]) => Convert.FromBase64String(s),
                _ => text,
            };
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            var expected = (type == typeof(DateTime) || type == typeof(DateOnly)) && settings.DateTimeFormat is { } dateFormat ? $"{Describe(type)} in the format '{dateFormat}'"
                : type == typeof(DateTimeOffset) && settings.DateTimeOffsetFormat is { } offsetFormat ? $"{Describe(type)} in the format '{offsetFormat}'"
                : Describe(type);
            throw new FormatException($"'{(text.Length > 60 ? text[..60] + "…" : text)}' is not a valid {expected}");
        }
    }

    /// <summary>
    /// The typed twin of <see cref="Parse(string, Type, TypeConversionSettings)"/> for the types tables hold most, with the
    /// same rules (trimmed, the settings' culture and formats) and no boxing: false when the text is not a valid
    /// <typeparamref name="T"/> (or <typeparamref name="T"/> is not one of them), and Parse then says why.
    /// </summary>
    public static bool TryParse<T>(ReadOnlySpan<char> text, TypeConversionSettings settings, out T value)
    {
        var s = text.Trim();
        var culture = settings.Culture;
        bool ok;
        if (typeof(T) == typeof(int))
        {
            ok = int.TryParse(s, NumberStyles.Integer, culture, out var v);
            value = (T)(object)v;
        }
        else if (typeof(T) == typeof(long))
        {
            ok = long.TryParse(s, NumberStyles.Integer, culture, out var v);
            value = (T)(object)v;
        }
        else if (typeof(T) == typeof(short))
        {
            ok = short.TryParse(s, NumberStyles.Integer, culture, out var v);
            value = (T)(object)v;
        }
        else if (typeof(T) == typeof(decimal))
        {
            ok = decimal.TryParse(s, NumberStyles.Float, culture, out var v);
            value = (T)(object)v;
        }
        else if (typeof(T) == typeof(double))
        {
            ok = double.TryParse(s, NumberStyles.Float, culture, out var v);
            value = (T)(object)v;
        }
        else if (typeof(T) == typeof(bool) && !System.Text.Ascii.IsValid(s))
        {
            // Invariant upper-casing maps some letters beyond ASCII onto ASCII ones (U+017F to S): Parse decides those.
            try
            {
                value = (T)Parse(s.ToString(), typeof(bool), settings);
                ok = true;
            }
            catch (FormatException)
            {
                value = default!;
                ok = false;
            }
        }
        else if (typeof(T) == typeof(bool))
        {
            // ASCII: Parse's invariant upper-casing is what OrdinalIgnoreCase compares.
            var yes = s.Equals("TRUE", StringComparison.OrdinalIgnoreCase) || s.Equals("T", StringComparison.OrdinalIgnoreCase) || s is "1"
                      || s.Equals("YES", StringComparison.OrdinalIgnoreCase) || s.Equals("Y", StringComparison.OrdinalIgnoreCase);
            var no = !yes && (s.Equals("FALSE", StringComparison.OrdinalIgnoreCase) || s.Equals("F", StringComparison.OrdinalIgnoreCase) || s is "0"
                              || s.Equals("NO", StringComparison.OrdinalIgnoreCase) || s.Equals("N", StringComparison.OrdinalIgnoreCase));
            ok = yes || no;
            value = (T)(object)yes;
        }
        else if (typeof(T) == typeof(Guid))
        {
            ok = Guid.TryParse(s, out var v);
            value = (T)(object)v;
        }
        else if (typeof(T) == typeof(DateOnly) && settings.DateTimeFormat is null)
        {
            ok = DateOnly.TryParse(s, culture, DateTimeStyles.None, out var v);
            value = (T)(object)v;
        }
        else if (typeof(T) == typeof(DateTime) && settings.DateTimeFormat is null)
        {
            ok = DateTime.TryParse(s, culture, DateTimeStyles.AllowWhiteSpaces, out var v);
            value = (T)(object)v;
        }
        else if (typeof(T) == typeof(DateTimeOffset) && settings.DateTimeOffsetFormat is null)
        {
            ok = DateTimeOffset.TryParse(s, culture, DateTimeStyles.AssumeUniversal, out var v);
            value = (T)(object)v;
        }
        else
        {
            ok = false;
            value = default!;
        }
        return ok;
    }

    /// <summary>Whether <see cref="TryParse{T}"/> reads <paramref name="type"/> (with these settings' formats).</summary>
    public static bool ParsesTyped(Type type, TypeConversionSettings settings) =>
        type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(decimal) || type == typeof(double) || type == typeof(Guid)
        || type == typeof(bool)
        || (settings.DateTimeFormat is null && (type == typeof(DateOnly) || type == typeof(DateTime)))
        || (settings.DateTimeOffsetFormat is null && type == typeof(DateTimeOffset));

    public static string Describe(Type type) => type == typeof(byte[]) ? "base64 byte array" : type.Name;
}
