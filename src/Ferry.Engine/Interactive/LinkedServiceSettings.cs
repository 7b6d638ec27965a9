using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts.Credentials;
using Ferry.Contracts.Problems;

namespace Ferry.Engine.Interactive;

/// <summary>A linked service's typeProperties with its secrets opened, read by name; a wrong or missing value is named.</summary>
public sealed class LinkedServiceSettings
{
    private readonly JsonObject _properties;
    private readonly JsonObject _secrets;
    private readonly Func<SecretReference, string>? _readSecretStore;

    public LinkedServiceSettings(string type, JsonObject properties, JsonObject secrets, Func<SecretReference, string>? readSecretStore = null)
    {
        Type = type;
        _properties = properties;
        _secrets = secrets;
        _readSecretStore = readSecretStore;
    }

    public string Type { get; }

    public static LinkedServiceSettings From(JsonObject linkedService, EngineContext context, JsonObject? secretStores = null)
    {
        var type = linkedService["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : "";
        var properties = linkedService["typeProperties"] as JsonObject ?? [];
        var secrets = properties["encryptedCredential"] is JsonValue e && e.GetValueKind() == JsonValueKind.String
            ? context.OpenCredential(e.GetValue<string>())
            : [];
        return new LinkedServiceSettings(type, properties, secrets,
            reference => Secrets.SecretStoreReader.Read(reference, secretStores, context.Policy, context.HostName));
    }

    public string? String(string name) => _properties[name] is JsonValue v ? v.GetValueKind() switch
    {
        JsonValueKind.String => v.GetValue<string>(),
        JsonValueKind.Number => v.ToJsonString(),
        _ => null,
    } : null;

    public string RequiredString(string name) => String(name) is { Length: > 0 } s
        ? s
        : throw new DataStoreException(ErrorCodes.InvalidProperty, $"The linked service has no typeProperties.{name}; add it.");

    public int? Int(string name) => _properties[name] is JsonValue v && v.TryGetValue<int>(out var i) ? i
        : String(name) is { } s && int.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : null;

    public bool? Bool(string name) => _properties[name] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    /// <summary>
    /// A secret: from the opened credential, from a secret store on this host, or a plain SecureString where the host
    /// keeps no credential key (tests).
    /// </summary>
    public string? Secret(string name)
    {
        if (_secrets[name] is JsonValue s && s.GetValueKind() == JsonValueKind.String)
            return s.GetValue<string>();
        if (SecretReference.TryRead(_properties[name]) is { } reference)
            return _readSecretStore?.Invoke(reference)
                   ?? throw new DataStoreException(ErrorCodes.CredentialUnavailable, $"typeProperties.{name} is in secret store '{reference.Store}', which this host cannot read.");
        return _properties[name] is JsonObject o && o["value"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
    }
}
