using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Server.Errors;

namespace Ferry.Server.Api;

/// <summary>Reads typed properties out of a JSON document, naming the JSON path of anything of the wrong type.</summary>
public static class JsonRead
{
    public static JsonObject RequiredObject(JsonObject parent, string property, string path) =>
        OptionalObject(parent, property, path) ?? throw Invalid(path, "is required and must be an object");

    public static JsonObject? OptionalObject(JsonObject parent, string property, string path) =>
        parent[property] switch
        {
            null => null,
            JsonObject o => o,
            var other => throw Invalid(path, $"must be an object, not {Kind(other)}"),
        };

    public static string RequiredString(JsonObject parent, string property, string path) =>
        OptionalString(parent, property, path) ?? throw Invalid(path, "is required and must be a string");

    public static string? OptionalString(JsonObject parent, string property, string path)
    {
        var node = parent[property];
        if (node is null)
            return null;
        return node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : throw Invalid(path, $"must be a string, not {Kind(node)}");
    }

    /// <summary>
    /// Reads properties.type, refuses a type not in <paramref name="supported"/> with the list, and writes back the
    /// canonical spelling (types are matched case-insensitively, as ADF does).
    /// </summary>
    public static string RequiredType(JsonObject properties, IEnumerable<string> supported, string noun, string errorCode)
    {
        var type = RequiredString(properties, "type", "properties.type");
        var known = supported.ToList();
        var canonical = known.FirstOrDefault(t => string.Equals(t, type, StringComparison.OrdinalIgnoreCase))
                        ?? throw FerryException.BadRequest(errorCode, $"{noun} type '{type}' is not supported; use one of: {string.Join(", ", known)}.");
        properties["type"] = canonical;
        return canonical;
    }

    /// <summary>A resource body may repeat its name; when it does, it must be the name in the URL.</summary>
    public static void CheckBodyName(JsonObject body, string name)
    {
        if (body["name"] is { } bodyName && (bodyName.GetValueKind() != JsonValueKind.String
            || !string.Equals(bodyName.GetValue<string>(), name, StringComparison.OrdinalIgnoreCase)))
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty, $"name in the body must match the name in the URL ('{name}').");
    }

    public static int RequiredInt(JsonObject parent, string property, string path)
    {
        var node = parent[property] ?? throw Invalid(path, "is required and must be an integer");
        if (node.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue<int>(out var value))
            return value;
        if (node.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue<decimal>(out var d) && d == decimal.Truncate(d)
            && d is >= int.MinValue and <= int.MaxValue)
            return (int)d;
        throw Invalid(path, $"must be an integer, not {Kind(node)}");
    }

    private static string Kind(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static FerryException Invalid(string path, string problem) =>
        FerryException.BadRequest(ErrorCodes.InvalidProperty, $"{path} {problem}.");
}
