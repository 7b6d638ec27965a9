using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ferry.Contracts.Credentials;

/// <summary>
/// A secret property that points into a secret store instead of holding the secret, in ADF's shape for Key Vault:
/// <c>{"type": "SecretStoreSecret", "store": {"referenceName": "...", "type": "LinkedServiceReference"}, "secretName": "..."}</c>.
/// <c>AzureKeyVaultSecret</c> is read the same way, so ADF documents keep working once their store is a Ferry SecretStore.
/// The node that runs the work reads the secret itself; the control plane only ever sees the name.
/// </summary>
public sealed record SecretReference(string Store, string SecretName)
{
    public static readonly IReadOnlyList<string> Types = ["SecretStoreSecret", "AzureKeyVaultSecret"];

    /// <summary>True when <paramref name="node"/> is a reference of one of <see cref="Types"/>, even a malformed one.</summary>
    public static bool IsReference(JsonNode? node) =>
        node is JsonObject o && o["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String && Types.Contains(t.GetValue<string>());

    /// <summary>The reference, or null when the node is not a well-formed one.</summary>
    public static SecretReference? TryRead(JsonNode? node)
    {
        if (!IsReference(node))
            return null;
        var store = node!["store"]?["referenceName"] is JsonValue s && s.GetValueKind() == JsonValueKind.String ? s.GetValue<string>() : null;
        var name = node["secretName"] is JsonValue n && n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : null;
        return store is { Length: > 0 } && name is { Length: > 0 } ? new SecretReference(store, name) : null;
    }

    /// <summary>A secret name is a file name in the store's folder: letters, digits, '.', '_' and '-', not starting with '.'.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 255 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
