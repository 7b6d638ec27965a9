using System.Security.Cryptography;
using Ferry.Contracts.Credentials;
using Ferry.Contracts.Protocol;
using Ferry.Node.Connection;
using Ferry.Node.Identity;

namespace Ferry.Node.Credentials;

/// <summary>
/// Credential sync between the nodes of a runtime, relayed by the server, which only ever carries sealed envelopes.
/// A node without the runtime's credential key sends a one-off sync public key with its heartbeats (its private half
/// lives only in memory); a node that holds the key is told who waits and seals the key to each waiting node's sync
/// key; the waiting node opens it, checks it is the runtime's published key, and stores it encrypted at rest.
/// No inbound port is opened for any of this.
/// </summary>
public sealed partial class CredentialSync(ServerClient server, CredentialStore credentials, Settings.NodeSettingsStore settings, ILogger logger)
{
    private ECDiffieHellman? _waitingKey;
    private readonly HashSet<string> _toldToApprove = [];

    /// <summary>The public half of this node's one-off sync key, made on first need, and this node's signature over it.</summary>
    public (string Key, string Signature) WaitingKey(NodeIdentity identity)
    {
        _waitingKey ??= ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var key = Convert.ToBase64String(_waitingKey.ExportSubjectPublicKeyInfo());
        using var identityKey = ECDsa.Create();
        identityKey.ImportPkcs8PrivateKey(Convert.FromBase64String(identity.PrivateKey), out _);
        return (key, CredentialSyncProof.Sign(identityKey, identity.RuntimeId, key));
    }

    /// <summary>Acts on a heartbeat's answer; true when this node's key changed and the server should hear of it at once.</summary>
    public async Task<bool> HandleAsync(NodeIdentity identity, int heldVersion, HeartbeatResponse response, CancellationToken ct)
    {
        if (response.NodeApprovalRequired && !settings.Load().NodeApprovalRequired)
        {
            settings.Save(settings.Load() with { NodeApprovalRequired = true });
            LogApprovalRequired(logger);
        }
        if (response.CredentialKeyVersion > heldVersion && credentials.PromotePending(response.CredentialKeyVersion, response.CredentialPublicKey))
        {
            LogRotated(logger, response.CredentialKeyVersion);
            return true;
        }
        if (response.SealedCredential is { } envelope && _waitingKey is not null)
            return Receive(identity, envelope, response);
        if (heldVersion > 0 && heldVersion == response.CredentialKeyVersion)
        {
            if (response.CredentialRotation is { } rotation)
                return await RotateAsync(identity, rotation, response.CredentialKeyVersion, ct);
            if (response.CredentialSyncRequests is { Count: > 0 } requests)
                await HandOverAsync(identity, requests, ct);
        }
        return false;
    }

    /// <summary>
    /// A node was removed: make the runtime's next key, re-seal every stored secret to it (each opened in memory only
    /// for the moment of re-sealing), keep the new key aside, and hand everything to the server in one call.
    /// </summary>
    private async Task<bool> RotateAsync(NodeIdentity identity, CredentialRotation rotation, int currentVersion, CancellationToken ct)
    {
        var material = credentials.Load();
        if (material is null || material.Version != currentVersion)
            return false;
        using var current = credentials.OpenPrivateKey(material);
        using var next = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var nextPublic = next.ExportSubjectPublicKeyInfo();
        var resealed = new List<ResealedCredential>();
        foreach (var stored in rotation.Credentials)
        {
            byte[] plain;
            try
            {
                plain = CredentialEnvelope.Open(current, identity.RuntimeId, stored.Envelope);
            }
            catch (Exception e) when (e is CryptographicException or FormatException)
            {
                LogRotationFailed(logger, $"the secret of linked service '{stored.LinkedService}' does not open with this node's key ({e.Message}); save it again");
                return false;
            }
            try
            {
                resealed.Add(new ResealedCredential(stored.Factory, stored.LinkedService, stored.Envelope,
                    CredentialEnvelope.Seal(nextPublic, rotation.NewVersion, identity.RuntimeId, plain)));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plain);
            }
        }
        credentials.SavePending(identity.RuntimeId, rotation.NewVersion, next);
        try
        {
            await server.RotateCredentialKeyAsync(identity, new CredentialRotationRequest(currentVersion, rotation.NewVersion,
                Convert.ToBase64String(nextPublic), resealed), ct);
        }
        catch (Exception e) when (e is ServerProblemException or HttpRequestException)
        {
            // Refused (another node rotated first, or a secret changed) or not delivered: the next heartbeat says which
            // key won, and the one kept aside is promoted or dropped then.
            LogRotationFailed(logger, e.Message);
            return false;
        }
        credentials.PromotePending(rotation.NewVersion, Convert.ToBase64String(nextPublic));
        LogRotated(logger, rotation.NewVersion);
        return true;
    }

    private bool Receive(NodeIdentity identity, string envelope, HeartbeatResponse response)
    {
        byte[]? privateKey = null;
        try
        {
            privateKey = CredentialEnvelope.Open(_waitingKey!, identity.RuntimeId, envelope);
            using var key = ECDiffieHellman.Create();
            key.ImportPkcs8PrivateKey(privateKey, out _);
            // Only the key the runtime publishes is accepted, so no one can slip this node a key of their own.
            if (Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()) != response.CredentialPublicKey)
            {
                LogSyncRefused(logger, "the key received is not the runtime's published credential key");
                return false;
            }
            credentials.Save(identity.RuntimeId, response.CredentialKeyVersion, key);
            _waitingKey?.Dispose();
            _waitingKey = null;
            LogReceived(logger, response.CredentialKeyVersion);
            return true;
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            LogSyncRefused(logger, e.Message);
            return false;
        }
        finally
        {
            if (privateKey is not null)
                CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    private async Task HandOverAsync(NodeIdentity identity, IReadOnlyList<CredentialSyncRequest> requests, CancellationToken ct)
    {
        byte[] privateKey;
        CredentialMaterial? material;
        try
        {
            material = credentials.Load();
            if (material is null)
                return;
            using var key = credentials.OpenPrivateKey(material);
            privateKey = key.ExportPkcs8PrivateKey();
        }
        catch (Exception e) when (e is CryptographicException or Hosting.NodeSetupException or FormatException)
        {
            // Another node that holds the key will answer the waiting node instead.
            LogHandOverFailed(logger, requests[0].NodeId, "this node cannot open its own credential key: " + e.Message);
            return;
        }
        try
        {
            var local = settings.Load();
            foreach (var request in requests)
            {
                if (!MayHandOver(identity, request, local))
                    continue;
                try
                {
                    var envelope = CredentialEnvelope.Seal(Convert.FromBase64String(request.SyncPublicKey), material.Version, identity.RuntimeId, privateKey);
                    await server.SendSealedCredentialAsync(identity, new SealedCredentialRequest(request.NodeId, envelope), ct);
                    LogHandedOver(logger, request.NodeId);
                }
                catch (Exception e) when (e is ServerProblemException or HttpRequestException or CryptographicException or FormatException)
                {
                    // The waiting node asks again with its next heartbeat; nothing is lost by trying later.
                    LogHandOverFailed(logger, request.NodeId, e.Message);
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    /// <summary>
    /// The waiting node must prove the sync key is its own (signed with its identity key), and, where the runtime requires
    /// approval, its fingerprint must have been approved on this node: the server alone can enrol no node.
    /// </summary>
    private bool MayHandOver(NodeIdentity identity, CredentialSyncRequest request, Settings.NodeSettings local)
    {
        var name = request.NodeName ?? request.NodeId.ToString();
        if (request.NodePublicKey is null || !CredentialSyncProof.Verify(request.NodePublicKey, identity.RuntimeId, request.SyncPublicKey, request.SyncSignature))
        {
            LogHandOverFailed(logger, request.NodeId, $"node {name}'s sync key is not signed by its identity key; nothing sealed");
            return false;
        }
        if (!local.NodeApprovalRequired)
            return true;
        var fingerprint = NodeFingerprint.Of(request.NodePublicKey);
        if (local.Approved.Contains(fingerprint))
            return true;
        if (_toldToApprove.Add(fingerprint))
            LogAwaitingApproval(logger, name, fingerprint);
        return false;
    }

    [LoggerMessage(EventId = 3107, Level = LogLevel.Warning, Message = "Node {NodeName} waits for the credential key; approve it here if it is yours: dmgcmd -ApproveNode \"{Fingerprint}\"")]
    private static partial void LogAwaitingApproval(ILogger logger, string nodeName, string fingerprint);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Information, Message = "The runtime requires node approval: from now on this node hands the credential key only to nodes approved here (dmgcmd -ApproveNode)")]
    private static partial void LogApprovalRequired(ILogger logger);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Information, Message = "Rotated the runtime's credential key to version {Version}")]
    private static partial void LogRotated(ILogger logger, int version);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Warning, Message = "Credential key rotation not done yet: {Reason}")]
    private static partial void LogRotationFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Received the runtime's credential key (version {Version}) from another node")]
    private static partial void LogReceived(ILogger logger, int version);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Refused a credential key sealed for this node: {Reason}")]
    private static partial void LogSyncRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Sealed the runtime's credential key for node {NodeId}")]
    private static partial void LogHandedOver(ILogger logger, Guid nodeId);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "Could not hand the credential key to node {NodeId}: {Reason}")]
    private static partial void LogHandOverFailed(ILogger logger, Guid nodeId, string reason);
}
