using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Cli.Connection;
using Ferry.Contracts.Credentials;

namespace Ferry.Cli.Commands;

/// <summary>
/// Seals a linked service's SecureString secrets on the client, to the credential key its runtime publishes, so that
/// the server only ever receives the envelope (beyond the reference, where the service sees the plain value).
/// </summary>
public static class SecretSealing
{
    public static async Task SealAsync(ApiClient api, JsonNode document, CancellationToken ct)
    {
        if (document["properties"] is not JsonObject properties || properties["typeProperties"] is not JsonObject typeProperties)
            return;
        if (SecretSealer.SecureStrings(typeProperties).Count == 0)
            return;
        // Without a self-hosted runtime there is no key to seal to; the server explains what it accepts.
        if (properties["connectVia"]?["referenceName"] is not JsonValue runtimeName || runtimeName.GetValueKind() != JsonValueKind.String)
            return;

        var runtime = runtimeName.GetValue<string>();
        var info = await api.SendAsync(HttpMethod.Post, api.RuntimePath(runtime) + "/getConnectionInfo", null, ct);
        if (info?["publicKey"]?.GetValue<string>() is not { } publicKey || info["publicKeyVersion"]?.GetValue<int>() is not { } version
            || info["runtimeId"]?.GetValue<Guid>() is not { } runtimeId)
            throw new CliException($"runtime '{runtime}' has no credential key yet: its first node creates it when it registers. " +
                                   "Register a node (dmgcmd -RegisterNewNode), then run this again. Nothing was sent.");
        SecretSealer.Seal(typeProperties, Convert.FromBase64String(publicKey), version, runtimeId);
    }
}
