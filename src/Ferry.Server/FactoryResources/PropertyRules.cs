using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Server.Errors;

namespace Ferry.Server.FactoryResources;

/// <summary>
/// Checks the typeProperties of linked services and datasets the way ADF reads them: a value may be a literal of
/// the expected JSON type or an expression object (<c>{"type": "Expression", "value": "@..."}</c>); a wrong type is
/// refused with its JSON path.
/// </summary>
public sealed class PropertyRules(JsonObject owner, string path)
{
    public string Path { get; } = path;

    public PropertyRules RequiredString(string name) => Require(name).String(name);

    public PropertyRules String(string name) => Check(name, JsonValueKind.String, "a string");

    public PropertyRules Int(string name) => Check(name, JsonValueKind.Number, "a number");

    public PropertyRules Bool(string name) => Check(name, JsonValueKind.True, "a boolean");

    /// <summary>A string or a number (ADF takes both for some enums, such as PostgreSQL's sslMode).</summary>
    public PropertyRules StringOrNumber(string name)
    {
        if (owner[name] is { } node && !IsExpression(node) && node.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Number))
            throw Invalid(name, "must be a string or a number");
        return this;
    }

    public PropertyRules OneOf(string name, params string[] allowed)
    {
        String(name);
        if (owner[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String && !allowed.Contains(v.GetValue<string>(), StringComparer.OrdinalIgnoreCase))
            throw Invalid(name, $"must be one of {string.Join(", ", allowed)}, not '{v.GetValue<string>()}'");
        return this;
    }

    public PropertyRules Require(string name)
    {
        if (owner[name] is null)
            throw Invalid(name, "is required");
        return this;
    }

    /// <summary>Requires at least one of the given properties (server or connectionString, say).</summary>
    public PropertyRules RequireOneOf(params string[] names)
    {
        if (names.All(n => owner[n] is null))
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty, $"{Path} needs one of: {string.Join(", ", names.Select(n => $"{Path}.{n}"))}.");
        return this;
    }

    public PropertyRules? Object(string name)
    {
        return owner[name] switch
        {
            null => null,
            JsonObject o => new PropertyRules(o, $"{Path}.{name}"),
            _ => throw Invalid(name, "must be an object"),
        };
    }

    /// <summary>
    /// A secret (ADF's SecretBase). By the time the rules run, secrets have been sealed into encryptedCredential
    /// (see Credentials/LinkedServiceSecrets), so a secret still here could not be sealed: refused, never repeated.
    /// </summary>
    public PropertyRules Secret(string name)
    {
        if (owner[name] is null)
            return this;
        if (Ferry.Contracts.Credentials.SecretReference.IsReference(owner[name]))
        {
            var reference = Ferry.Contracts.Credentials.SecretReference.TryRead(owner[name])
                ?? throw Invalid(name, "must name its store and secret: {\"type\": \"SecretStoreSecret\", \"store\": {\"referenceName\": \"...\", \"type\": \"LinkedServiceReference\"}, \"secretName\": \"...\"}");
            if (!Ferry.Contracts.Credentials.SecretReference.IsValidName(reference.SecretName))
                throw Invalid(name, $"names secret '{reference.SecretName}', which is not a file name (letters, digits, '.', '_', '-')");
            return this;
        }
        throw FerryException.BadRequest(ErrorCodes.InvalidProperty,
            $"{Path}.{name} must be a SecureString ({{\"type\": \"SecureString\", \"value\": \"...\"}}) or a secret store reference; nothing was saved.");
    }

    private PropertyRules Check(string name, JsonValueKind kind, string what)
    {
        if (owner[name] is not { } node || IsExpression(node))
            return this;
        var actual = node.GetValueKind();
        var matches = kind == JsonValueKind.True ? actual is JsonValueKind.True or JsonValueKind.False : actual == kind;
        return matches ? this : throw Invalid(name, $"must be {what}");
    }

    private static bool IsExpression(JsonNode node) =>
        node is JsonObject o && o["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String && t.GetValue<string>() == "Expression"
        && o["value"] is JsonValue v && v.GetValueKind() == JsonValueKind.String;

    private FerryException Invalid(string name, string problem) =>
        FerryException.BadRequest(ErrorCodes.InvalidProperty, $"{Path}.{name} {problem}.");
}
