using System.Buffers.Binary;
using System.Text;

namespace Ferry.Engine.Formats.Parquet;

/// <summary>
/// A Thrift struct as Parquet's metadata uses it, held generically: field id → value, where a value is a bool, sbyte,
/// short, int, long, double, byte[] (binary and strings), <see cref="ThriftStruct"/> or <see cref="ThriftList"/>.
/// Reading keeps every field, so unknown ones are skipped safely; the typed accessors say which field was missing.
/// </summary>
public sealed class ThriftStruct
{
    public SortedDictionary<short, object> Fields { get; } = [];

    public ThriftStruct Set(short id, object? value)
    {
        if (value is not null)
            Fields[id] = value;
        return this;
    }

    public bool Has(short id) => Fields.ContainsKey(id);
    public int I32(short id) => Convert.ToInt32(Required(id), System.Globalization.CultureInfo.InvariantCulture);
    public int? OptionalI32(short id) => Fields.TryGetValue(id, out var v) ? Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture) : null;
    public long I64(short id) => Convert.ToInt64(Required(id), System.Globalization.CultureInfo.InvariantCulture);
    public long? OptionalI64(short id) => Fields.TryGetValue(id, out var v) ? Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture) : null;
    public bool? OptionalBool(short id) => Fields.TryGetValue(id, out var v) ? (bool)v : null;
    public string String(short id) => Encoding.UTF8.GetString((byte[])Required(id));
    public string? OptionalString(short id) => Fields.TryGetValue(id, out var v) && v is byte[] b ? Encoding.UTF8.GetString(b) : null;
    public ThriftStruct Struct(short id) => (ThriftStruct)Required(id);
    public ThriftStruct? OptionalStruct(short id) => Fields.TryGetValue(id, out var v) ? v as ThriftStruct : null;
    public ThriftList List(short id) => Fields.TryGetValue(id, out var v) && v is ThriftList list ? list : new ThriftList(ThriftType.Struct);

    private object Required(short id) => Fields.TryGetValue(id, out var value) ? value : throw new InvalidDataException($"required field {id} is missing");
}

public sealed class ThriftList(ThriftType elementType)
{
    public ThriftType ElementType { get; } = elementType;
    public List<object> Items { get; } = [];

    public static ThriftList Of(ThriftType type, IEnumerable<object> items)
    {
        var list = new ThriftList(type);
        list.Items.AddRange(items);
        return list;
    }
}

/// <summary>The compact protocol's wire types.</summary>
public enum ThriftType : byte
{
    Stop = 0, True = 1, False = 2, Byte = 3, I16 = 4, I32 = 5, I64 = 6, Double = 7, Binary = 8, List = 9, Set = 10, Map = 11, Struct = 12,
}

/// <summary>Thrift's compact protocol, both ways, over what Parquet needs (and any field it does not, skipped on reading).</summary>
public static class ThriftCompact
{
    private const int MaxDepth = 64;

    public static byte[] Serialize(ThriftStruct value)
    {
        var buffer = new List<byte>(256);
        WriteStruct(buffer, value);
        return [.. buffer];
    }

    private static void WriteStruct(List<byte> output, ThriftStruct value)
    {
        short last = 0;
        foreach (var (id, field) in value.Fields)
        {
            var type = field is bool b ? (b ? ThriftType.True : ThriftType.False) : TypeOf(field);
            var delta = id - last;
            if (delta is > 0 and <= 15)
            {
                output.Add((byte)((delta << 4) | (byte)type));
            }
            else
            {
                output.Add((byte)type);
                WriteVarint(output, ZigZag(id));
            }
            last = id;
            if (field is not bool)
                WriteValue(output, field);
        }
        output.Add((byte)ThriftType.Stop);
    }

    private static ThriftType TypeOf(object value) => value switch
    {
        bool => ThriftType.True,
        sbyte => ThriftType.Byte,
        short => ThriftType.I16,
        int => ThriftType.I32,
        long => ThriftType.I64,
        double => ThriftType.Double,
        byte[] or string => ThriftType.Binary,
        ThriftList => ThriftType.List,
        ThriftStruct => ThriftType.Struct,
        _ => throw new ArgumentException($"no Thrift type for {value.GetType().Name}"),
    };

    private static void WriteValue(List<byte> output, object value)
    {
        switch (value)
        {
            case bool b: output.Add(b ? (byte)1 : (byte)0); break;
            case sbyte s: output.Add((byte)s); break;
            case short s: WriteVarint(output, ZigZag(s)); break;
            case int i: WriteVarint(output, ZigZag(i)); break;
            case long l: WriteVarint(output, ZigZag(l)); break;
            case double d:
                Span<byte> bytes = stackalloc byte[8];
                BinaryPrimitives.WriteDoubleLittleEndian(bytes, d);
                output.AddRange(bytes);
                break;
            case string s: WriteValue(output, Encoding.UTF8.GetBytes(s)); break;
            case byte[] data:
                WriteVarint(output, (ulong)data.Length);
                output.AddRange(data);
                break;
            case ThriftList list:
                if (list.Items.Count < 15)
                {
                    output.Add((byte)((list.Items.Count << 4) | (byte)list.ElementType));
                }
                else
                {
                    output.Add((byte)(0xF0 | (byte)list.ElementType));
                    WriteVarint(output, (ulong)list.Items.Count);
                }
                foreach (var item in list.Items)
                    WriteValue(output, item);
                break;
            case ThriftStruct s: WriteStruct(output, s); break;
            default: throw new ArgumentException($"no Thrift type for {value.GetType().Name}");
        }
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static void WriteVarint(List<byte> output, ulong value)
    {
        while (value >= 0x80)
        {
            output.Add((byte)(value | 0x80));
            value >>= 7;
        }
        output.Add((byte)value);
    }

    /// <summary>Reads one struct from <paramref name="data"/>; <paramref name="read"/> is how many bytes it took. Throws <see cref="InvalidDataException"/> on anything malformed.</summary>
    public static ThriftStruct Read(ReadOnlySpan<byte> data, out int read)
    {
        var position = 0;
        var value = ReadStruct(data, ref position, 0);
        read = position;
        return value;
    }

    private static ThriftStruct ReadStruct(ReadOnlySpan<byte> data, ref int position, int depth)
    {
        if (depth > MaxDepth)
            throw new InvalidDataException("metadata nests deeper than any Parquet structure");
        var value = new ThriftStruct();
        short last = 0;
        while (true)
        {
            var header = Byte(data, ref position);
            var type = (ThriftType)(header & 0x0F);
            if (type == ThriftType.Stop)
                return value;
            var delta = header >> 4;
            var id = delta != 0 ? (short)(last + delta) : checked((short)UnZigZag(ReadVarint(data, ref position)));
            last = id;
            value.Fields[id] = type switch
            {
                ThriftType.True => true,
                ThriftType.False => false,
                _ => ReadValue(data, ref position, type, depth),
            };
        }
    }

    private static object ReadValue(ReadOnlySpan<byte> data, ref int position, ThriftType type, int depth)
    {
        switch (type)
        {
            case ThriftType.True or ThriftType.False:
                return Byte(data, ref position) == 1;
            case ThriftType.Byte:
                return (sbyte)Byte(data, ref position);
            case ThriftType.I16:
                return checked((short)UnZigZag(ReadVarint(data, ref position)));
            case ThriftType.I32:
                return checked((int)UnZigZag(ReadVarint(data, ref position)));
            case ThriftType.I64:
                return UnZigZag(ReadVarint(data, ref position));
            case ThriftType.Double:
                Need(data, position, 8);
                position += 8;
                return BinaryPrimitives.ReadDoubleLittleEndian(data[(position - 8)..]);
            case ThriftType.Binary:
                var length = ReadVarint(data, ref position);
                if (length > (ulong)(data.Length - position))
                    throw new InvalidDataException($"a metadata string of {length} bytes runs past the end of the metadata");
                var bytes = data.Slice(position, (int)length).ToArray();
                position += (int)length;
                return bytes;
            case ThriftType.List or ThriftType.Set:
                var header = Byte(data, ref position);
                var elementType = (ThriftType)(header & 0x0F);
                var count = (ulong)(header >> 4);
                if (count == 15)
                    count = ReadVarint(data, ref position);
                if (count > (ulong)(data.Length - position))
                    throw new InvalidDataException($"a metadata list of {count} items is longer than the metadata");
                var list = new ThriftList(elementType);
                for (var i = 0ul; i < count; i++)
                    list.Items.Add(ReadValue(data, ref position, elementType, depth + 1));
                return list;
            case ThriftType.Map:
                var size = ReadVarint(data, ref position);
                if (size == 0)
                    return new ThriftList(ThriftType.Struct);
                if (size > (ulong)(data.Length - position))
                    throw new InvalidDataException("a metadata map is longer than the metadata");
                var types = Byte(data, ref position);
                for (var i = 0ul; i < size; i++)
                {
                    ReadValue(data, ref position, (ThriftType)(types >> 4), depth + 1);
                    ReadValue(data, ref position, (ThriftType)(types & 0x0F), depth + 1);
                }
                return new ThriftList(ThriftType.Struct);
            case ThriftType.Struct:
                return ReadStruct(data, ref position, depth + 1);
            default:
                throw new InvalidDataException($"unknown metadata field type {(int)type}");
        }
    }

    private static byte Byte(ReadOnlySpan<byte> data, ref int position)
    {
        Need(data, position, 1);
        return data[position++];
    }

    private static void Need(ReadOnlySpan<byte> data, int position, int count)
    {
        if (data.Length - position < count)
            throw new InvalidDataException("the metadata ends in the middle of a field");
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = Byte(data, ref position);
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        throw new InvalidDataException("a metadata number is longer than 10 bytes");
    }

    private static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);
}
