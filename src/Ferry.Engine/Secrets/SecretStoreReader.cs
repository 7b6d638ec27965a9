using System.Text;
using System.Text.Json.Nodes;
using Ferry.Contracts.Credentials;
using Ferry.Contracts.Problems;
using Ferry.Engine.Access;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Secrets;

/// <summary>
/// Reads a secret from a SecretStore linked service on the host itself. Provider "Files": one file per secret in the
/// store's folder, named after the secret, as container and systemd secrets are mounted; one trailing line break is
/// not part of the secret. The folder passes local folder path validation like any other. The value lives in memory only.
/// </summary>
public static class SecretStoreReader
{
    private const int MaxSecretBytes = 64 * 1024;

    public static string Read(SecretReference reference, JsonObject? secretStores, NodeAccessPolicy policy, string hostName)
    {
        if (secretStores?[reference.Store] is not JsonObject store)
            throw new DataStoreException(ErrorCodes.CredentialUnavailable, $"The secret store '{reference.Store}' was not sent with the request; save the linked service again.");
        var properties = store["typeProperties"] as JsonObject ?? [];
        var provider = properties["provider"]?.GetValue<string>() ?? "";
        if (!provider.Equals("Files", StringComparison.OrdinalIgnoreCase))
            throw new DataStoreException(ErrorCodes.CredentialUnavailable, $"Secret store '{reference.Store}' uses provider '{provider}', which this node cannot read (Files only).");
        if (!SecretReference.IsValidName(reference.SecretName))
            throw new DataStoreException(ErrorCodes.CredentialUnavailable, $"'{reference.SecretName}' is not a secret name (letters, digits, '.', '_', '-').");
        var folder = properties["folder"]?.GetValue<string>()
                     ?? throw new DataStoreException(ErrorCodes.CredentialUnavailable, $"Secret store '{reference.Store}' has no folder.");
        var path = LocalFolders.Resolve(policy, folder, reference.SecretName);
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
                throw new DataStoreException(ErrorCodes.CredentialUnavailable,
                    $"Secret '{reference.SecretName}' is not in secret store '{reference.Store}' on {hostName} (no file {path}).");
            if (info.Length > MaxSecretBytes)
                throw new DataStoreException(ErrorCodes.CredentialUnavailable, $"Secret file {path} is larger than {MaxSecretBytes} bytes; is it really a secret?");
            bytes = File.ReadAllBytes(path);
        }
        catch (UnauthorizedAccessException)
        {
            throw new DataStoreException(ErrorCodes.PermissionDenied, $"permission denied: the node's service account cannot read secret file {path}.");
        }
        var text = new UTF8Encoding(false, throwOnInvalidBytes: false).GetString(bytes);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
        return text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
    }
}
