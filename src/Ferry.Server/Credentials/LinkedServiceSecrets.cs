using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts.Credentials;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Resources;
using Ferry.Server.Errors;
using Ferry.Server.Store;

namespace Ferry.Server.Credentials;

/// <summary>
/// Turns a linked service's secrets into an <c>encryptedCredential</c> sealed to its runtime's credential key before
/// anything is stored, as ADF does for self-hosted runtimes: the stored document never holds the plain value, and
/// only the runtime's nodes can open it. A client that sealed the secrets itself (the ferry CLI does) sends only the
/// envelope, which is checked to be sealed to the runtime's current key.
/// </summary>
public sealed class LinkedServiceSecrets(IFerryStore store)
{
    /// <summary>The secret properties of the linked service types Ferry runs.</summary>
    public static IReadOnlyList<string> SecretProperties => SecretSealer.SecretProperties;

    public async Task SealAsync(RuntimeRow? runtime, JsonObject typeProperties, string path, CancellationToken ct)
    {
        // A secret store reference holds no secret (only where to find it, read by the node): nothing to seal.
        var secrets = SecretProperties.Where(p => typeProperties[p] is not null && !SecretReference.IsReference(typeProperties[p])).ToList();
        var envelope = typeProperties["encryptedCredential"];
        if (secrets.Count == 0 && envelope is null)
            return;

        if (runtime is null || runtime.Type != IntegrationRuntimeType.SelfHosted)
            throw FerryException.BadRequest(ErrorCodes.SecretsNotSupportedYet,
                $"{path} holds a secret, and Ferry keeps secrets only for linked services that connect via a self-hosted runtime " +
                "(sealed to its nodes' credential key); the managed runtime's credential store is not built yet. Nothing was saved.");
        var key = await store.GetCredentialKeyAsync(runtime.Id, ct)
                  ?? throw FerryException.Conflict(ErrorCodes.CredentialKeyMissing,
                      $"Runtime '{runtime.Name}' has no credential key yet: its first node creates it when it registers. " +
                      "Register a node (dmgcmd -RegisterNewNode), then save the linked service again. Nothing was saved.");

        if (envelope is not null)
        {
            if (secrets.Count > 0)
                throw FerryException.BadRequest(ErrorCodes.InvalidProperty,
                    $"{path} has both encryptedCredential and {string.Join(", ", secrets)}; give the secrets in one of the two forms.");
            CheckEnvelope(envelope, key.Version, runtime.Name, path);
            return;
        }

        foreach (var name in secrets.Where(n => !SecretSealer.IsSecureString(typeProperties[n])))
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty,
                $"{path}.{name} must be {{\"type\": \"SecureString\", \"value\": \"...\"}} or a secret store reference; nothing was saved.");
        SecretSealer.Seal(typeProperties, Convert.FromBase64String(key.PublicKey), key.Version, runtime.Id);
    }

    private static void CheckEnvelope(JsonNode envelope, int currentVersion, string runtime, string path)
    {
        int version;
        try
        {
            version = envelope.GetValueKind() == JsonValueKind.String ? CredentialEnvelope.VersionOf(envelope.GetValue<string>()) : throw new FormatException();
        }
        catch (FormatException)
        {
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty,
                $"{path}.encryptedCredential is not a Ferry credential envelope; seal it with `ferry linked-service create`, or send the secret as a SecureString.");
        }
        if (version != currentVersion)
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty,
                $"{path}.encryptedCredential is sealed to version {version} of runtime '{runtime}''s credential key, which is now at version {currentVersion}; seal it again.");
    }
}
