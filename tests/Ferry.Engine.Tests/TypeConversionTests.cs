using System.Globalization;
using System.Text.Json.Nodes;
using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Tests;

/// <summary>
/// Typed text formatting against .NET's own format strings (an implementation Ferry did not write), and the translator's
/// typeConversionSettings: culture, date formats, booleans as numbers, truncation.
/// </summary>
public sealed class TypeConversionTests
{
    private static readonly TypeConversionSettings Default = TypeConversionSettings.Default;

    private static string Text<T>(T value, TypeConversionSettings? settings = null) => TextValues.Format(value, new char[64], settings ?? Default).ToString();

    [Fact]
    public void Timestamps_and_dates_are_written_digit_by_digit_exactly_as_the_format_strings_write_them()
    {
        var random = new Random(42);
        for (var i = 0; i < 20_000; i++)
        {
            // Whole seconds, whole milliseconds and any tick, over the whole calendar.
            var ticks = random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks);
            ticks -= (i % 3) switch { 0 => ticks % TimeSpan.TicksPerSecond, 1 => ticks % TimeSpan.TicksPerMillisecond, _ => 0 };
            var local = new DateTime(ticks, DateTimeKind.Unspecified);
            Assert.Equal(local.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture), Text(local));
            var instant = new DateTimeOffset(ticks, TimeSpan.Zero);
            Assert.Equal(instant.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture), Text(instant));
            var date = DateOnly.FromDateTime(local);
            Assert.Equal(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Text(date));
        }
        Assert.Equal("2026-01-02 03:04:05.5+02:00", Text(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 500, TimeSpan.FromHours(2))));
    }

    [Fact]
    public void Numbers_keep_every_digit_and_read_back_to_the_same_value()
    {
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            var d = BitConverter.Int64BitsToDouble(random.NextInt64());
            if (double.IsFinite(d))
                Assert.Equal(d, double.Parse(Text(d), CultureInfo.InvariantCulture));
            var m = new decimal(random.Next(), random.Next(), random.Next(), random.Next(2) == 0, (byte)random.Next(29));
            Assert.Equal(m.ToString(CultureInfo.InvariantCulture), Text(m));
        }
        Assert.Equal(0.1, (double)TypeConversion.Convert(0.1m, typeof(double), Default));
    }

    [Fact]
    public void A_culture_and_date_formats_apply_when_writing_text_and_when_reading_it()
    {
        var settings = TypeConversionSettings.From(Translator(new JsonObject { ["culture"] = "de-DE", ["dateTimeFormat"] = "dd.MM.yyyy HH:mm", ["dateTimeOffsetFormat"] = "yyyy/MM/dd HH:mm zzz" }));

        Assert.Equal("1234,5", Text(1234.5m, settings));
        Assert.Equal("24.12.2026 18:30", Text(new DateTime(2026, 12, 24, 18, 30, 0), settings));
        // "/" is the culture's date separator, as in any .NET format string.
        Assert.Equal("2026.12.24 18:30 +01:00", Text(new DateTimeOffset(2026, 12, 24, 18, 30, 0, TimeSpan.FromHours(1)), settings));
        Assert.Equal(1234.5m, TypeConversion.Convert("1234,5", typeof(decimal), settings));
        Assert.Equal(new DateTime(2026, 12, 24, 18, 30, 0), TypeConversion.Convert("24.12.2026 18:30", typeof(DateTime), settings));
        var wrong = Assert.Throws<FormatException>(() => TypeConversion.Convert("2026-12-24", typeof(DateTime), settings));
        Assert.Contains("in the format 'dd.MM.yyyy HH:mm'", wrong.Message);
    }

    [Fact]
    public void Booleans_become_numbers_only_when_asked_and_truncation_only_when_allowed()
    {
        Assert.Throws<FormatException>(() => TypeConversion.Convert(true, typeof(int), Default));
        Assert.Equal(false, TypeConversion.Convert(0L, typeof(bool), Default));
        Assert.Contains("treatBooleanAsNumber", Assert.Throws<FormatException>(() => TypeConversion.Convert(5L, typeof(bool), Default)).Message);
        var numbers = TypeConversionSettings.From(Translator(new JsonObject { ["treatBooleanAsNumber"] = true, ["allowDataTruncation"] = false }));
        Assert.Equal(1, TypeConversion.Convert(true, typeof(int), numbers));
        Assert.Equal(true, TypeConversion.Convert(5L, typeof(bool), numbers));

        Assert.Equal(12L, TypeConversion.Convert(12.75m, typeof(long), Default));
        Assert.Contains("allowDataTruncation", Assert.Throws<FormatException>(() => TypeConversion.Convert(12.75m, typeof(long), numbers)).Message);
        Assert.Equal(12L, TypeConversion.Convert(12.0m, typeof(long), numbers));
        var withOffset = new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.FromHours(2));
        Assert.Equal(new DateTime(2026, 1, 1, 8, 0, 0, DateTimeKind.Utc), TypeConversion.Convert(withOffset, typeof(DateTime), Default));
        Assert.Throws<FormatException>(() => TypeConversion.Convert(withOffset, typeof(DateTime), numbers));
        Assert.Contains("outside the range", Assert.Throws<FormatException>(() => TypeConversion.Convert(100_000L, typeof(short), Default)).Message);
    }

    [Fact]
    public void Unknown_cultures_and_bad_date_formats_are_refused_with_what_to_use()
    {
        var culture = Assert.Throws<DataStoreException>(() => TypeConversionSettings.From(Translator(new JsonObject { ["culture"] = "xx-NOPE" })));
        Assert.Contains("'xx-NOPE'", culture.Message);
        Assert.Contains("en-US", culture.Message);
        var format = Assert.Throws<DataStoreException>(() => TypeConversionSettings.From(Translator(new JsonObject { ["dateTimeFormat"] = "%" })));
        Assert.Contains("dateTimeFormat", format.Message);
    }

    [Fact]
    public void A_conversion_rejects_the_rows_that_do_not_convert_and_passes_matching_columns_through_untouched()
    {
        var columns = new[] { new CopyColumn("id", typeof(long)), new CopyColumn("amount", typeof(string)) };
        var conversion = new TypeConversion(columns, [typeof(long), typeof(decimal)], Default, capacity: 4);
        var batch = new RowBatch([typeof(long), typeof(string)], 4);
        batch.Reset(firstRow: 11);
        foreach (var (id, amount) in new[] { (1L, "1.5"), (2L, "lots"), (3L, (string?)null) })
        {
            batch.Columns[0].SetBoxed(batch.Count, id);
            batch.Columns[1].SetBoxed(batch.Count, amount);
            batch.Count++;
        }

        var converted = conversion.Apply(batch);

        Assert.Same(batch.Columns[0], converted.Columns[0]);
        Assert.Equal(1.5m, converted.Columns[1].GetBoxed(0));
        Assert.Null(converted.Columns[1].GetBoxed(2));
        var rejection = Assert.Single(converted.Rejections);
        Assert.Equal(1, rejection.Index);
        Assert.Equal("Row 12, column 'amount': 'lots' is not a valid Decimal for the sink's column type.", rejection.Reason);
        converted.DropRejected();
        Assert.Equal(2, converted.Count);
        Assert.Equal(13, converted.RowNumber(1));
        Assert.Equal(3L, converted.Columns[0].GetBoxed(1));
    }

    [Fact]
    public async Task A_number_formatted_in_a_culture_whose_decimal_mark_is_the_delimiter_is_quoted()
    {
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "de.csv");
        var settings = TypeConversionSettings.From(Translator(new JsonObject { ["culture"] = "de-DE" }));
        await using (var sink = new Formats.DelimitedText.DelimitedTextSink(file, Formats.DelimitedText.DelimitedTextFormat.From(new JsonObject()), null, settings))
        {
            await sink.OpenAsync([new CopyColumn("amount", typeof(decimal)), new CopyColumn("ratio", typeof(double)), new CopyColumn("note", typeof(string))], default);
            var batch = new RowBatch([typeof(decimal), typeof(double), typeof(string)], 2);
            batch.Reset(1);
            batch.Columns[0].SetBoxed(0, 1234.5m);
            batch.Columns[1].SetBoxed(0, 2.0);
            batch.Columns[2].SetBoxed(0, "say \"hi\"");
            batch.Columns[0].SetBoxed(1, null);
            batch.Columns[1].SetBoxed(1, 0.25);
            batch.Columns[2].SetBoxed(1, "plain");
            batch.Count = 2;
            await sink.WriteAsync(batch, default);
            await sink.CommitAsync(2, default);
        }

        Assert.Equal("\"1234,5\",2,\"say \\\"hi\\\"\"\n,\"0,25\",plain\n", await File.ReadAllTextAsync(file));
    }

    private static JsonObject Translator(JsonObject settings) => new() { ["type"] = "TabularTranslator", ["typeConversion"] = true, ["typeConversionSettings"] = settings };

    [Fact]
    public void Text_parsed_straight_into_typed_columns_reads_exactly_what_the_general_parser_reads()
    {
        // The general parser (boxed, per value) is the reference; the typed one must agree on every value and every refusal.
        string[] inputs = ["0", "42", " -17 ", "+5", "2147483648", "-9223372036854775808", "9223372036854775808", "12.5", "1e3", "-0.000123", "1,5",
            "1.234,5", "NaN", "Infinity", "", "  ", "abc", "0x10", "79228162514264337593543950335", "2026-11-22", " 2026-11-22 ", "22.11.2026",
            "2026-11-22 13:45:10.1234567", "2026-11-22T13:45:10Z", "2026-11-22 13:45:10+02:00", "11/22/2026", "2026-02-30",
            "0f8fad5b-d9cb-469f-a165-70867728950e", "{0F8FAD5B-D9CB-469F-A165-70867728950E}", "0f8fad5bd9cb469fa16570867728950e", "not-a-guid", "true", "False", " yes ", "N", "t", "TRUE1", "yſs", "yeſ", "ja"];
        var random = new Random(11);
        var generated = Enumerable.Range(0, 2000).Select(i => (i % 4) switch
        {
            0 => random.NextInt64(long.MinValue, long.MaxValue).ToString(CultureInfo.InvariantCulture),
            1 => (random.NextDouble() * Math.Pow(10, random.Next(-8, 20))).ToString("R", CultureInfo.InvariantCulture),
            2 => new DateTime(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks)).ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
            _ => Guid.NewGuid().ToString(i % 8 == 3 ? "N" : "D"),
        });
        foreach (var culture in new[] { "", "de-DE", "en-US" })
        {
            var settings = Default with { Culture = CultureInfo.GetCultureInfo(culture) };
            foreach (var text in inputs.Concat(generated))
            {
                Agree<int>(text, settings);
                Agree<long>(text, settings);
                Agree<short>(text, settings);
                Agree<decimal>(text, settings);
                Agree<double>(text, settings);
                Agree<Guid>(text, settings);
                Agree<bool>(text, settings);
                Agree<DateOnly>(text, settings);
                Agree<DateTime>(text, settings);
                Agree<DateTimeOffset>(text, settings);
            }
        }
    }

    private static void Agree<T>(string text, TypeConversionSettings settings)
    {
        Assert.True(TextValues.ParsesTyped(typeof(T), settings));
        object? expected;
        try
        {
            expected = TextValues.Parse(text, typeof(T), settings);
        }
        catch (FormatException)
        {
            expected = null;
        }
        var parsed = TextValues.TryParse(text, settings, out T value);
        Assert.True(parsed == expected is not null, $"'{text}' as {typeof(T).Name} ({settings.Culture.Name}): general {expected ?? "refuses"}, typed {(parsed ? value : "refuses")}");
        if (parsed)
            Assert.Equal(expected, value);
    }
}
