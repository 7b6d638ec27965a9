using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ferry.Contracts.Credentials;

/// <summary>
/// Seals a linked service's SecureString secrets into its <c>encryptedCredential</c>, to a runtime's credential key:
/// the one step shared by the ferry CLI (sealing on the user's machine), the server (sealing what API callers send)
/// and a node's remote access endpoint (sealing on the node, as the reference's New-...EncryptedCredential).
/// </summary>
public static class SecretSealer
{
    /// <summary>The secret properties of the linked service types Ferry runs.</summary>
    public static readonly IReadOnlyList<string> SecretProperties = ["password"];

    public static bool IsSecureString(JsonNode? node) =>
        node is JsonObject o && o["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String && t.GetValue<string>() == "SecureString"
        && o["value"] is JsonValue v && v.GetValueKind() == JsonValueKind.String;

    /// <summary>The secret properties given as SecureStrings.</summary>
    public static IReadOnlyList<string> SecureStrings(JsonObject typeProperties) => SecretProperties.Where(p => IsSecureString(typeProperties[p])).ToList();

    /// <summary>Replaces every SecureString secret with one envelope in encryptedCredential; the names sealed.</summary>
    public static IReadOnlyList<string> Seal(JsonObject typeProperties, byte[] publicKey, int version, Guid runtimeId)
    {
        var names = SecureStrings(typeProperties);
        if (names.Count == 0)
            return names;
        var plain = new JsonObject();
        foreach (var name in names)
            plain[name] = typeProperties[name]!["value"]!.DeepClone();
        var bytes = Encoding.UTF8.GetBytes(plain.ToJsonString());
        try
        {
            typeProperties["encryptedCredential"] = CredentialEnvelope.Seal(publicKey, version, runtimeId, bytes);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
        }
        foreach (var name in names)
            typeProperties.Remove(name);
        return names;
    }
}
