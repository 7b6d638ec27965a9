using System.Text.Json.Nodes;
using Ferry.Contracts.Credentials;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Interactive;
using Ferry.Node.Credentials;
using Ferry.Node.Heartbeats;
using Ferry.Node.Hosting;
using Ferry.Node.Identity;
using Ferry.Node.Settings;

namespace Ferry.Node.Interactive;

/// <summary>
/// Runs an interactive request on this node with the engine: the access policy comes from the node's settings, and a
/// linked service's encryptedCredential is opened with the runtime's credential key, in memory, for this request only.
/// </summary>
public sealed partial class InteractiveHandler(IdentityWatch identities, CredentialStore credentials, NodeSettingsStore settings,
    ILogger<InteractiveHandler> logger)
{
    public async Task<InteractiveResponse> HandleAsync(InteractiveRequest request, CancellationToken ct)
    {
        var identity = identities.Current;
        EngineContext context;
        try
        {
            context = new EngineContext(settings.Policy(), envelope => Open(identity, envelope), identity?.NodeName ?? Environment.MachineName);
        }
        catch (NodeSetupException e)
        {
            return new InteractiveResponse(request.Id, false, ErrorCode: ErrorCodes.DataStoreError, Message: e.Message);
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var response = await InteractiveRunner.RunAsync(request, context, ct);
        LogHandled(logger, request.Operation, request.LinkedServiceName ?? "?", response.Succeeded ? "succeeded" : $"failed ({response.ErrorCode})",
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return response;
    }

    private JsonObject Open(NodeIdentity? identity, string envelope)
    {
        if (identity is null)
            throw new DataStoreException(ErrorCodes.CredentialUnavailable, "This node is not registered, so it holds no credential key.");
        CredentialMaterial? material;
        try
        {
            material = credentials.Load();
        }
        catch (NodeSetupException e)
        {
            throw new DataStoreException(ErrorCodes.CredentialUnavailable, e.Message);
        }
        if (material is null || material.RuntimeId != identity.RuntimeId)
            throw new DataStoreException(ErrorCodes.CredentialUnavailable,
                $"Node '{identity.NodeName}' does not hold runtime '{identity.Runtime}''s credential key yet; it gets it from another node within a heartbeat or two.");
        int version;
        try
        {
            version = CredentialEnvelope.VersionOf(envelope);
        }
        catch (FormatException e)
        {
            throw new DataStoreException(ErrorCodes.CredentialUnavailable, $"The linked service's encryptedCredential is unreadable: {e.Message}");
        }
        if (version != material.Version)
            throw new DataStoreException(ErrorCodes.CredentialUnavailable,
                $"The linked service's credential is sealed to credential key version {version}, and node '{identity.NodeName}' holds version {material.Version}. " +
                "Save the linked service again so it is sealed to the current key.");
        using var key = credentials.OpenPrivateKey(material);
        byte[] plain;
        try
        {
            plain = CredentialEnvelope.Open(key, identity.RuntimeId, envelope);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            throw new DataStoreException(ErrorCodes.CredentialUnavailable,
                "The linked service's encryptedCredential does not open with this runtime's credential key (sealed for another runtime, or damaged). Save the linked service again.");
        }
        try
        {
            return JsonNode.Parse(plain) as JsonObject
                   ?? throw new DataStoreException(ErrorCodes.CredentialUnavailable, "The opened credential is not a JSON object.");
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain);
        }
    }

    [LoggerMessage(EventId = 3401, Level = LogLevel.Information, Message = "Interactive {Operation} on linked service {LinkedService} {Outcome} in {Milliseconds:F0} ms")]
    private static partial void LogHandled(ILogger logger, string operation, string linkedService, string outcome, double milliseconds);
}
