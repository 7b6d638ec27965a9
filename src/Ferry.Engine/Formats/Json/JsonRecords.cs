using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts;
using Ferry.Contracts.Problems;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Formats.Json;

/// <summary>
/// Reads the records of a JSON file the way ADF's Json format accepts them: one object, an array of objects, or
/// objects one after another (JSON Lines). Streams, so a preview of a large file reads only what it shows.
/// </summary>
public static class JsonRecords
{
    public static async IAsyncEnumerable<JsonNode?> ReadAsync(Stream stream, string fileName, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var buffered = new BufferedStream(stream, 64 * 1024);
        var isArray = await StartsWithArrayAsync(buffered, ct);
        var records = isArray
            ? JsonSerializer.DeserializeAsyncEnumerable(buffered, FerryJsonContext.Default.JsonNode, ct)
            : JsonSerializer.DeserializeAsyncEnumerable(buffered, FerryJsonContext.Default.JsonNode, topLevelValues: true, ct);
        await using var e = records.GetAsyncEnumerator(ct);
        while (true)
        {
            try
            {
                if (!await e.MoveNextAsync())
                    yield break;
            }
            catch (JsonException error)
            {
                throw new DataStoreException(ErrorCodes.InvalidData,
                    $"'{fileName}' is not valid JSON near line {(error.LineNumber ?? 0) + 1}, byte {(error.BytePositionInLine ?? 0) + 1}: {error.Message.Split(" Path:")[0]}");
            }
            yield return e.Current;
        }
    }

    private static async Task<bool> StartsWithArrayAsync(BufferedStream stream, CancellationToken ct)
    {
        // Peek past a byte-order mark and whitespace without consuming: BufferedStream keeps what was read when we seek back.
        var start = stream.Position;
        var buffer = new byte[1];
        try
        {
            while (await stream.ReadAsync(buffer, ct) == 1)
            {
                if (buffer[0] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF)
                    continue;
                return buffer[0] == (byte)'[';
            }
            return false;
        }
        finally
        {
            stream.Position = start;
        }
    }

    /// <summary>The columns of a set of records: property names in order of first appearance, each with the JSON type its values share.</summary>
    public static List<TabularResult.Column> ColumnsOf(IReadOnlyList<JsonNode?> records)
    {
        var order = new List<string>();
        var kinds = new Dictionary<string, string>(StringComparer.Ordinal);
        var nullable = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            if (record is not JsonObject o)
            {
                Note("value", record);
                continue;
            }
            foreach (var (name, value) in o)
                Note(name, value);
            nullable.UnionWith(order.Where(n => !o.ContainsKey(n)));
        }
        return order.Select(n => new TabularResult.Column(n, kinds.GetValueOrDefault(n, "String"), nullable.Contains(n))).ToList();

        void Note(string name, JsonNode? value)
        {
            if (!kinds.ContainsKey(name) && !order.Contains(name))
                order.Add(name);
            if (value is null)
            {
                nullable.Add(name);
                return;
            }
            var kind = KindOf(value);
            kinds[name] = kinds.TryGetValue(name, out var seen) && seen != kind
                ? (seen, kind) is ("Int64", "Double") or ("Double", "Int64") ? "Double" : "String"
                : kind;
        }
    }

    public static object? ValueOf(JsonNode? record, string column) =>
        record is JsonObject o ? o[column] : column == "value" ? record : null;

    private static string KindOf(JsonNode value) => value switch
    {
        JsonObject => "Object",
        JsonArray => "Array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.Number => v.TryGetValue<long>(out _) ? "Int64" : "Double",
            JsonValueKind.True or JsonValueKind.False => "Boolean",
            _ => "String",
        },
        _ => "String",
    };
}
