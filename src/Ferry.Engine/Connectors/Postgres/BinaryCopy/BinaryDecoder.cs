using System.Buffers.Binary;
using System.Text;
using Ferry.Engine.Copy;

namespace Ferry.Engine.Connectors.Postgres.BinaryCopy;

/// <summary>
/// Turns one PostgreSQL type's binary send format into its copy type, written into a typed column buffer. Infinite
/// dates and timestamps become the type's MinValue/MaxValue, as Npgsql reads them; what .NET cannot hold (a numeric
/// beyond decimal, NaN, an interval with months) fails with the column's name.
/// </summary>
public abstract class BinaryDecoder
{
    private static readonly DateTime Epoch = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
    private static readonly DateOnly EpochDate = new(2000, 1, 1);
    private static readonly UTF8Encoding Utf8 = new(false, throwOnInvalidBytes: false);

    protected BinaryDecoder(string column) => Column = column;

    public string Column { get; }

    public abstract Type Type { get; }

    /// <summary>Decodes one value into <paramref name="row"/>; answers what it counts for in dataRead (<see cref="CopyBytes"/>).</summary>
    public abstract long Decode(ReadOnlySpan<byte> data, ColumnBuffer column, int row);

    public abstract void SetNull(ColumnBuffer column, int row);

    /// <summary>The decoder for a type by its internal name (int4, timestamptz, ...); null for a type read as text instead.</summary>
    public static BinaryDecoder? For(string internalName, string column) => internalName switch
    {
        "int2" => new Of<short>(column, d => BinaryPrimitives.ReadInt16BigEndian(d)),
        "int4" => new Of<int>(column, d => BinaryPrimitives.ReadInt32BigEndian(d)),
        "int8" => new Of<long>(column, d => BinaryPrimitives.ReadInt64BigEndian(d)),
        "float4" => new Of<float>(column, d => BinaryPrimitives.ReadSingleBigEndian(d)),
        "float8" => new Of<double>(column, d => BinaryPrimitives.ReadDoubleBigEndian(d)),
        "bool" => new Of<bool>(column, d => d[0] != 0),
        "numeric" => new Of<decimal>(column, d => Numeric(d)),
        "text" or "varchar" or "bpchar" or "name" or "json" => new Text(column, jsonb: false),
        "jsonb" => new Text(column, jsonb: true),
        "bytea" => new Bytes(column),
        "uuid" => new Of<Guid>(column, d => new Guid(d, bigEndian: true)),
        "date" => new Of<DateOnly>(column, d => BinaryPrimitives.ReadInt32BigEndian(d) switch
        {
            int.MaxValue => DateOnly.MaxValue,
            int.MinValue => DateOnly.MinValue,
            var days => EpochDate.AddDays(days),
        }),
        "timestamp" => new Of<DateTime>(column, d => Timestamp(d)),
        "timestamptz" => new Of<DateTimeOffset>(column, d => new DateTimeOffset(DateTime.SpecifyKind(Timestamp(d), DateTimeKind.Utc))),
        "time" => new Of<TimeOnly>(column, d => TimeOnly.FromTimeSpan(TimeSpan.FromTicks(BinaryPrimitives.ReadInt64BigEndian(d) * 10))),
        "interval" => new Of<TimeSpan>(column, d => Interval(d)),
        _ => null,
    };

    private static DateTime Timestamp(ReadOnlySpan<byte> data) => BinaryPrimitives.ReadInt64BigEndian(data) switch
    {
        long.MaxValue => DateTime.MaxValue,
        long.MinValue => DateTime.MinValue,
        var micros => Epoch.AddTicks(micros * 10),
    };

    private static TimeSpan Interval(ReadOnlySpan<byte> data)
    {
        var micros = BinaryPrimitives.ReadInt64BigEndian(data);
        var days = BinaryPrimitives.ReadInt32BigEndian(data[8..]);
        var months = BinaryPrimitives.ReadInt32BigEndian(data[12..]);
        if (months != 0)
            throw new FormatException($"it holds an interval with months ({months}), which has no fixed length; cast it to text in a source query");
        return TimeSpan.FromTicks(micros * 10 + days * TimeSpan.TicksPerDay);
    }

    /// <summary>
    /// numeric: a count of base-10000 digits, the weight of the first, the sign, the display scale, then the digits.
    /// The digits are gathered into one integer scaled to the display scale, so 1.2300 keeps its two trailing zeros.
    /// </summary>
    private static decimal Numeric(ReadOnlySpan<byte> data)
    {
        var count = BinaryPrimitives.ReadInt16BigEndian(data);
        var weight = BinaryPrimitives.ReadInt16BigEndian(data[2..]);
        var sign = BinaryPrimitives.ReadUInt16BigEndian(data[4..]);
        var scale = BinaryPrimitives.ReadInt16BigEndian(data[6..]);
        if (sign is 0xC000 or 0xD000 or 0xF000)
            throw new FormatException($"it holds {(sign == 0xC000 ? "NaN" : "an infinite numeric")}, which a decimal cannot hold");
        if (scale > 28)
            throw new FormatException($"it holds a numeric with {scale} decimal places; a decimal keeps at most 28 (round it in a source query)");
        UInt128 value = 0;
        try
        {
            checked
            {
                for (var i = 0; i < count; i++)
                    value = value * 10000 + BinaryPrimitives.ReadUInt16BigEndian(data[(8 + 2 * i)..]);
                // The digits stand for value × 10^-(4 × (count - 1 - weight)); bring that to value × 10^-scale.
                var exponent = 4 * (count - 1 - weight);
                for (var e = exponent; e < scale; e++)
                    value *= 10;
                for (var e = scale; e < exponent; e++)
                    value /= 10;
            }
        }
        catch (OverflowException)
        {
            throw new FormatException($"it holds a numeric beyond the 28–29 digits a decimal keeps");
        }
        if (value >> 96 != 0)
            throw new FormatException($"it holds a numeric beyond the 28–29 digits a decimal keeps");
        return new decimal((int)(uint)value, (int)(uint)(value >> 32), (int)(uint)(value >> 64), sign == 0x4000, (byte)scale);
    }

    private sealed class Of<T>(string column, Of<T>.Parse parse) : BinaryDecoder(column)
    {
        public delegate T Parse(ReadOnlySpan<byte> data);

        public override Type Type => typeof(T);

        public override long Decode(ReadOnlySpan<byte> data, ColumnBuffer column, int row)
        {
            ((ColumnBuffer<T>)column).Set(row, parse(data));
            return 8;
        }

        public override void SetNull(ColumnBuffer column, int row) => ((ColumnBuffer<T>)column).SetNull(row);
    }

    private sealed class Text(string column, bool jsonb) : BinaryDecoder(column)
    {
        public override Type Type => typeof(string);

        public override long Decode(ReadOnlySpan<byte> data, ColumnBuffer column, int row)
        {
            var text = Utf8.GetString(jsonb ? data[1..] : data);
            ((ColumnBuffer<string>)column).Set(row, text);
            return text.Length;
        }

        public override void SetNull(ColumnBuffer column, int row) => ((ColumnBuffer<string>)column).SetNull(row);
    }

    private sealed class Bytes(string column) : BinaryDecoder(column)
    {
        public override Type Type => typeof(byte[]);

        public override long Decode(ReadOnlySpan<byte> data, ColumnBuffer column, int row)
        {
            ((ColumnBuffer<byte[]>)column).Set(row, data.ToArray());
            return data.Length;
        }

        public override void SetNull(ColumnBuffer column, int row) => ((ColumnBuffer<byte[]>)column).SetNull(row);
    }
}
