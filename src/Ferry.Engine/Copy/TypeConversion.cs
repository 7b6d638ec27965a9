using System.Globalization;
using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Copy;

/// <summary>
/// The translator's typeConversionSettings: whether a conversion may lose data (decimal to integer, an offset dropped,
/// a time of day dropped), whether booleans and numbers convert into each other (1 and 0), the formats dates are read and
/// written in, and the culture numbers and dates use. ADF's defaults: truncation allowed, booleans not numbers, invariant.
/// </summary>
public sealed record TypeConversionSettings(bool AllowDataTruncation, bool TreatBooleanAsNumber, string? DateTimeFormat, string? DateTimeOffsetFormat,
    CultureInfo Culture)
{
    public static readonly TypeConversionSettings Default = new(true, false, null, null, CultureInfo.InvariantCulture);

    public static TypeConversionSettings From(JsonObject? translator)
    {
        if (translator?["typeConversionSettings"] is not JsonObject settings)
            return Default;
        var culture = CultureInfo.InvariantCulture;
        if (settings["culture"]?.GetValue<string>() is { Length: > 0 } name)
        {
            try
            {
                culture = CultureInfo.GetCultureInfo(name, predefinedOnly: true);
            }
            catch (CultureNotFoundException)
            {
                throw new DataStoreException(ErrorCodes.InvalidProperty,
                    $"translator.typeConversionSettings.culture '{name}' is not a culture this host knows; use a name such as en-US, de-DE or fr-FR.");
            }
        }
        return new TypeConversionSettings(
            settings["allowDataTruncation"]?.GetValue<bool>() ?? true,
            settings["treatBooleanAsNumber"]?.GetValue<bool>() ?? false,
            Format(settings, "dateTimeFormat"),
            Format(settings, "dateTimeOffsetFormat"),
            culture);
    }

    private static string? Format(JsonObject settings, string name)
    {
        if (settings[name]?.GetValue<string>() is not { Length: > 0 } format)
            return null;
        try
        {
            _ = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(1)).ToString(format, CultureInfo.InvariantCulture);
            return format;
        }
        catch (FormatException)
        {
            throw new DataStoreException(ErrorCodes.InvalidProperty,
                $"translator.typeConversionSettings.{name} '{format}' is not a valid date format; use .NET custom format strings such as 'yyyy-MM-dd HH:mm:ss'.");
        }
    }
}

/// <summary>
/// Turns the mapped source columns into the types the sink asked for, a batch at a time. A column whose type already
/// matches passes through untouched (no copy); a value that does not convert rejects its row with the row number,
/// column and value.
/// </summary>
public sealed class TypeConversion
{
    private readonly IReadOnlyList<CopyColumn> _columns;
    private readonly Type[] _targets;
    private readonly ColumnBuffer?[] _converted;
    private readonly TextParser?[] _parsers;
    private readonly RowBatch _output;
    private readonly bool[] _rejected;
    private readonly TypeConversionSettings _settings;

    public TypeConversion(IReadOnlyList<CopyColumn> columns, IReadOnlyList<Type> targets, TypeConversionSettings settings, int capacity = RowBatch.DefaultCapacity)
    {
        _columns = columns;
        _targets = targets.ToArray();
        _settings = settings;
        _converted = columns.Select((c, i) => c.Type == _targets[i] ? null : ColumnBuffer.For(_targets[i], capacity)).ToArray();
        _parsers = columns.Select((c, i) => c.Type == typeof(string) && _targets[i] != typeof(string) && TextValues.ParsesTyped(_targets[i], settings)
            ? (TextParser)Activator.CreateInstance(typeof(TextParser<>).MakeGenericType(_targets[i]))!
            : null).ToArray();
        _output = new RowBatch(columns.Count, capacity);
        _rejected = new bool[capacity];
    }

    /// <summary>The rows of <paramref name="input"/> in the sink's types, in a batch this conversion reuses; rejected rows are recorded in it.</summary>
    public RowBatch Apply(RowBatch input)
    {
        _output.NumberLike(input);
        Array.Clear(_rejected, 0, input.Count);
        for (var c = 0; c < _converted.Length; c++)
        {
            if (_converted[c] is not { } target)
            {
                _output.Columns[c] = input.Columns[c];
                continue;
            }
            _output.Columns[c] = target;
            var source = input.Columns[c];
            for (var r = 0; r < input.Count; r++)
            {
                // Text into the number, date or UUID column a table wants: parsed straight into it. A value that does not
                // parse takes the general way below, which says why.
                if (_parsers[c] is { } parser && !_rejected[r] && parser.TryParse(source, target, r, _settings))
                    continue;
                if (_rejected[r] || source.GetBoxed(r) is not { } value)
                {
                    target.SetBoxed(r, null);
                    continue;
                }
                try
                {
                    target.SetBoxed(r, Convert(value, _targets[c], _settings));
                }
                catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException or ArgumentOutOfRangeException)
                {
                    _rejected[r] = true;
                    target.SetBoxed(r, null);
                    _output.Reject(r, $"Row {input.RowNumber(r)}, column '{_columns[c].Name}': {e.Message} for the sink's column type.");
                }
            }
        }
        return _output;
    }

    /// <summary>Parses row r of a text column into a typed one without boxing (<see cref="TextValues.TryParse{T}"/>).</summary>
    private abstract class TextParser
    {
        public abstract bool TryParse(ColumnBuffer source, ColumnBuffer target, int row, TypeConversionSettings settings);
    }

    private sealed class TextParser<T> : TextParser
    {
        public override bool TryParse(ColumnBuffer source, ColumnBuffer target, int row, TypeConversionSettings settings)
        {
            var text = (ColumnBuffer<string>)source;
            if (text.Nulls[row] || !TextValues.TryParse(text.Values[row], settings, out T value))
                return false;
            ((ColumnBuffer<T>)target).Set(row, value);
            return true;
        }
    }

    /// <summary>One value as <paramref name="type"/>; throws <see cref="FormatException"/> saying why it cannot be.</summary>
    public static object Convert(object value, Type type, TypeConversionSettings settings)
    {
        var from = value.GetType();
        if (from == type)
            return value;
        if (value is string s)
            return TextValues.Parse(s, type, settings);
        if (type == typeof(string))
            return TextValues.Format(value, settings);
        if (value is bool b)
            return IsNumber(type)
                ? settings.TreatBooleanAsNumber ? System.Convert.ChangeType(b ? 1 : 0, type, CultureInfo.InvariantCulture)
                    : throw new FormatException($"'{b}' is a Boolean, not a number (set translator.typeConversionSettings.treatBooleanAsNumber to write 1 and 0)")
                : throw Impossible(value, type);
        if (type == typeof(bool))
        {
            // 0 and 1 are how stores without a Boolean type (SQLite) keep one; any other number only as treatBooleanAsNumber says.
            if (!IsNumber(from))
                throw Impossible(value, type);
            var number = System.Convert.ToDecimal(value, CultureInfo.InvariantCulture);
            return number is 0 or 1 || settings.TreatBooleanAsNumber
                ? number != 0
                : throw new FormatException($"'{TextValues.Format(value)}' is a number other than 0 or 1, not a Boolean (set translator.typeConversionSettings.treatBooleanAsNumber to read any non-zero number as true)");
        }
        if (IsNumber(from) && IsNumber(type))
            return Number(value, type, settings);
        return (value, type) switch
        {
            (DateTime dt, _) when type == typeof(DateTimeOffset) => new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)),
            (DateTimeOffset dto, _) when type == typeof(DateTime) => dto.Offset == TimeSpan.Zero || settings.AllowDataTruncation
                ? dto.UtcDateTime
                : throw Truncated(value, type, "its offset"),
            (DateOnly d, _) when type == typeof(DateTime) => d.ToDateTime(TimeOnly.MinValue),
            (DateOnly d, _) when type == typeof(DateTimeOffset) => new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc)),
            (DateTime dt, _) when type == typeof(DateOnly) => dt.TimeOfDay == TimeSpan.Zero || settings.AllowDataTruncation
                ? DateOnly.FromDateTime(dt)
                : throw Truncated(value, type, "its time of day"),
            (DateTimeOffset dto, _) when type == typeof(DateOnly) => settings.AllowDataTruncation
                ? DateOnly.FromDateTime(dto.UtcDateTime)
                : throw Truncated(value, type, "its time of day and offset"),
            (TimeSpan ts, _) when type == typeof(TimeOnly) => TimeOnly.FromTimeSpan(ts),
            (TimeOnly t, _) when type == typeof(TimeSpan) => t.ToTimeSpan(),
            _ => TextValues.Parse(TextValues.Format(value, settings), type, settings),
        };
    }

    private static object Number(object value, Type type, TypeConversionSettings settings)
    {
        var integral = type == typeof(byte) || type == typeof(short) || type == typeof(int) || type == typeof(long);
        if (integral && value is decimal or double or float)
        {
            var number = System.Convert.ToDecimal(value, CultureInfo.InvariantCulture);
            if (decimal.Truncate(number) != number)
            {
                if (!settings.AllowDataTruncation)
                    throw Truncated(value, type, "its fraction");
                value = decimal.Truncate(number);
            }
        }
        // decimal to double by its digits: the correctly rounded nearest double, which a binary conversion does not promise.
        if (value is decimal exact && (type == typeof(double) || type == typeof(float)))
            return TextValues.Parse(exact.ToString(CultureInfo.InvariantCulture), type);
        try
        {
            return System.Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
        }
        catch (OverflowException)
        {
            throw new FormatException($"'{TextValues.Format(value)}' is outside the range of {type.Name}");
        }
    }

    private static bool IsNumber(Type type) =>
        type == typeof(byte) || type == typeof(short) || type == typeof(int) || type == typeof(long)
        || type == typeof(decimal) || type == typeof(double) || type == typeof(float);

    private static FormatException Truncated(object value, Type type, string what) =>
        new($"'{TextValues.Format(value)}' would lose {what} as {type.Name} (translator.typeConversionSettings.allowDataTruncation is false)");

    private static FormatException Impossible(object value, Type type) =>
        new($"'{TextValues.Format(value)}' ({value.GetType().Name}) cannot become {TextValues.Describe(type)}");
}
