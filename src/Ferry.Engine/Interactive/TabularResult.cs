using System.Globalization;
using System.Text.Json.Nodes;

namespace Ferry.Engine.Interactive;

/// <summary>The JSON shapes interactive operations answer with: columns (name, type, nullable), browse items, preview rows.</summary>
public static class TabularResult
{
    public sealed record Column(string Name, string Type, bool Nullable = true);

    public static JsonObject Schema(IEnumerable<Column> columns) => new() { ["columns"] = ColumnsJson(columns) };

    public static JsonObject Preview(IReadOnlyList<Column> columns, IEnumerable<IReadOnlyList<object?>> rows, bool truncated)
    {
        var rowsJson = new JsonArray();
        foreach (var row in rows)
            rowsJson.Add(new JsonArray(row.Select(ToJson).ToArray()));
        return new JsonObject { ["columns"] = ColumnsJson(columns), ["rows"] = rowsJson, ["truncated"] = truncated };
    }

    public static JsonObject Browse(string path, IEnumerable<(string Name, string Type, long? Size)> items)
    {
        var array = new JsonArray();
        foreach (var (name, type, size) in items)
        {
            var item = new JsonObject { ["name"] = name, ["type"] = type };
            if (size is { } s)
                item["size"] = s;
            array.Add(item);
        }
        return new JsonObject { ["path"] = path, ["items"] = array };
    }

    private static JsonArray ColumnsJson(IEnumerable<Column> columns) =>
        new(columns.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["type"] = c.Type, ["nullable"] = c.Nullable }).ToArray());

    /// <summary>A value as JSON: numbers and booleans as such, dates in ISO 8601, bytes in base64, anything else as invariant text.</summary>
    public static JsonNode? ToJson(object? value) => value switch
    {
        null or DBNull => null,
        JsonNode node => node.DeepClone(),
        string s => s,
        bool b => b,
        byte or sbyte or short or ushort or int or uint or long => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        ulong u => u,
        float f => float.IsFinite(f) ? f : f.ToString(CultureInfo.InvariantCulture),
        double d => double.IsFinite(d) ? d : d.ToString(CultureInfo.InvariantCulture),
        decimal m => m,
        DateTime dt => dt.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset dto => dto.ToString("O", CultureInfo.InvariantCulture),
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        TimeOnly time => time.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        byte[] bytes => Convert.ToBase64String(bytes),
        Guid g => g.ToString("D"),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable items => new JsonArray(items.Cast<object?>().Select(ToJson).ToArray()),
        _ => value.ToString(),
    };
}
