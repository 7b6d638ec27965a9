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
public sealed partial class CredentialSync(ServerClient server, CredentialStore credentials, Settings.NodeSettingsStore settings, TimeProvider time,
    ILogger<CredentialSync> logger)
{
    public const string DirectSyncPath = "/remote/v1/credential-sync";
    private static readonly TimeSpan DirectRequestLifetime = TimeSpan.FromMinutes(5);

    private ECDiffieHellman? _waitingKey;
    private readonly HashSet<string> _toldToApprove = [];
    // The waiting nodes the server listed for this holder in the last minutes: only they may ask it directly.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, (CredentialSyncRequest Request, DateTimeOffset Seen)> _waiting = new();

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
        // The direct path first, when a holder offers it: the key then never passes through the control plane at all.
        if (response.CredentialHolders is { Count: > 0 } holders && _waitingKey is not null && heldVersion != response.CredentialKeyVersion)
        {
            foreach (var holder in holders)
            {
                if (await FetchDirectAsync(identity, holder, ct) is { } direct && Receive(identity, direct, response, $"node {holder.NodeName} directly at {holder.Url}"))
                    return true;
            }
        }
        if (response.SealedCredential is { } envelope && _waitingKey is not null)
            return Receive(identity, envelope, response, "another node through the server");
        var now = time.GetUtcNow();
        foreach (var request in response.CredentialSyncRequests ?? [])
            _waiting[request.NodeId] = (request, now);
        foreach (var (id, entry) in _waiting)
        {
            if (now - entry.Seen > DirectRequestLifetime)
                _waiting.TryRemove(id, out _);
        }
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

    private bool Receive(NodeIdentity identity, string envelope, HeartbeatResponse response, string from)
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
            LogReceived(logger, response.CredentialKeyVersion, from);
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
    /// The direct path, waiting side: ask a holder on the local network for the key, sealed to this node's sync key.
    /// The holder's certificate is pinned by the fingerprint it reported; what comes back is accepted only if it is the
    /// runtime's published key, like anything relayed.
    /// </summary>
    private async Task<string?> FetchDirectAsync(NodeIdentity identity, CredentialHolder holder, CancellationToken ct)
    {
        var (syncKey, syncSignature) = WaitingKey(identity);
        var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new DirectSyncRequest(identity.NodeId, syncKey, syncSignature),
            Contracts.FerryJsonContext.Default.DirectSyncRequest);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            UseProxy = false,
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null
                    && string.Equals(Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData())), holder.CertificateSha256, StringComparison.OrdinalIgnoreCase),
            },
        }) { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Post, holder.Url.TrimEnd('/') + DirectSyncPath)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } },
        };
        request.Headers.TryAddWithoutValidation("Authorization", server.Sign(identity, "POST", DirectSyncPath, body));
        try
        {
            using var response = await http.SendAsync(request, ct);
            var content = await response.Content.ReadAsByteArrayAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                LogDirectFailed(logger, holder.NodeName, $"{(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(content)}");
                return null;
            }
            return System.Text.Json.JsonSerializer.Deserialize(content, Contracts.FerryJsonContext.Default.DirectSyncResponse)?.Envelope;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            LogDirectFailed(logger, holder.NodeName, e.Message);
            return null;
        }
    }

    /// <summary>
    /// The direct path, holder side: a node asks this one for the key. It must be a node the server listed as waiting
    /// (same runtime), sign the call with its registered identity key, prove the sync key is its own, and be approved
    /// here when approval is required. The answer is the key sealed to its sync key: useless to anyone else.
    /// </summary>
    public (int Status, string Message, DirectSyncResponse? Response) AnswerDirect(NodeIdentity identity, string? authorization, byte[] body)
    {
        DirectSyncRequest? request;
        try
        {
            request = System.Text.Json.JsonSerializer.Deserialize(body, Contracts.FerryJsonContext.Default.DirectSyncRequest);
        }
        catch (System.Text.Json.JsonException e)
        {
            return (400, $"not a credential sync request: {e.Message}", null);
        }
        if (request is null || !_waiting.TryGetValue(request.NodeId, out var entry) || entry.Request.SyncPublicKey != request.SyncPublicKey
            || entry.Request.NodePublicKey is not { } nodePublicKey)
            return (403, "this node does not know the caller as a node of its runtime waiting for the credential key", null);
        var signature = NodeRequestSignature.TryParse(authorization ?? "");
        using (var callerKey = ECDsa.Create())
        {
            callerKey.ImportSubjectPublicKeyInfo(Convert.FromBase64String(nodePublicKey), out _);
            var age = time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(signature?.TimestampMs ?? 0);
            if (signature is null || signature.NodeId != request.NodeId || age.Duration() > DirectRequestLifetime
                || !signature.Verify(callerKey, "POST", DirectSyncPath, body))
                return (401, "the call is not signed by the waiting node's registered key", null);
        }
        if (!MayHandOver(identity, entry.Request with { SyncSignature = request.SyncSignature }, settings.Load()))
            return (403, "this node does not hand the key to that node (not approved here, or its sync key is not its own)", null);
        var material = credentials.Load();
        if (material is null || material.RuntimeId != identity.RuntimeId)
            return (409, "this node does not hold the credential key", null);
        using var key = credentials.OpenPrivateKey(material);
        var privateKey = key.ExportPkcs8PrivateKey();
        try
        {
            var envelope = CredentialEnvelope.Seal(Convert.FromBase64String(request.SyncPublicKey), material.Version, identity.RuntimeId, privateKey);
            LogHandedOver(logger, request.NodeId);
            return (200, "", new DirectSyncResponse(envelope, material.Version));
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

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Received the runtime's credential key (version {Version}) from {From}")]
    private static partial void LogReceived(ILogger logger, int version, string from);

    [LoggerMessage(EventId = 3109, Level = LogLevel.Information, Message = "Could not fetch the credential key directly from node {NodeName}: {Reason}; the server relays it instead")]
    private static partial void LogDirectFailed(ILogger logger, string nodeName, string reason);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Refused a credential key sealed for this node: {Reason}")]
    private static partial void LogSyncRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Sealed the runtime's credential key for node {NodeId}")]
    private static partial void LogHandedOver(ILogger logger, Guid nodeId);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "Could not hand the credential key to node {NodeId}: {Reason}")]
    private static partial void LogHandOverFailed(ILogger logger, Guid nodeId, string reason);
}
