namespace Ferry.Contracts.Protocol;

/// <summary>
/// What a node reports on every heartbeat. ConcurrentJobsLimit echoes the limit the server last set (0 before the first
/// answer); CredentialKeyVersion is the runtime credential key the node holds (0: none); RelayConnected is whether its
/// relay WebSocket is open (null until its first attempt ended), with RelayError saying why not.
/// </summary>
public sealed record HeartbeatRequest(
    string Version,
    int ProtocolVersion,
    DateTimeOffset StartedAt,
    DateTimeOffset Clock,
    double CpuUtilization,
    long AvailableMemoryMB,
    long TotalMemoryMB,
    int ProcessorCount,
    int ConcurrentJobsRunning,
    int ConcurrentJobsLimit,
    long SentBytes,
    long ReceivedBytes,
    string? LastError,
    int CredentialKeyVersion = 0,
    string? CredentialSyncPublicKey = null,
    bool? RelayConnected = null,
    string? RelayError = null,
    string? CredentialSyncSignature = null,
    int? RemoteAccessPort = null,
    string? RemoteAccessCertificate = null,
    string? AppliedProxyId = null,
    string? ProxyError = null);

/// <summary>
/// The server's answer: the settings it wants the node to use from now on, the runtime's credential key (version and
/// public half), and for credential sync either the nodes this node should seal the key to, or the key sealed for it.
/// The server only ever carries sealed envelopes. RelayUrl is where the node opens its relay WebSocket; with
/// SelfContainedInteractiveAuthoring the node takes interactive requests over its poll channel instead.
/// VersionStatus is ADF's versionStatus of the node (UpToDate, UpdateAvailable, Expired), with VersionCause saying why
/// and what to do when it is not UpToDate: the node writes it to its event log when it changes.
/// </summary>
public sealed record HeartbeatResponse(
    int HeartbeatIntervalSeconds,
    int ConcurrentJobsLimit,
    DateTimeOffset ServerTime,
    int CredentialKeyVersion = 0,
    string? CredentialPublicKey = null,
    IReadOnlyList<CredentialSyncRequest>? CredentialSyncRequests = null,
    string? SealedCredential = null,
    string? RelayUrl = null,
    bool SelfContainedInteractiveAuthoring = false,
    CredentialRotation? CredentialRotation = null,
    bool NodeApprovalRequired = false,
    IReadOnlyList<CredentialHolder>? CredentialHolders = null,
    ProxyDirective? Proxy = null,
    string? VersionStatus = null,
    string? VersionCause = null);

/// <summary>
/// A proxy setting sent from the control plane (ferry ir node set-proxy), as dmgcmd -SetProxy would make it. The
/// password, if any, is sealed on the client to the runtime's credential key (as a linked service's): the server only
/// carries the envelope. The node tries the new path before it keeps it, and answers with <see cref="Id"/> (and the
/// error when it did not keep it) on its next heartbeat.
/// </summary>
public sealed record ProxyDirective(string Id, string Mode, string? Address = null, int Port = 0, string? User = null, string? EncryptedPassword = null,
    IReadOnlyList<string>? Bypass = null);

/// <summary>
/// A node holding the runtime's credential key with remote access on: a waiting node may fetch the key from it
/// directly over the local network (pinning the certificate's SHA-256), besides the relay through the server.
/// </summary>
public sealed record CredentialHolder(string NodeName, string Url, string CertificateSha256);

/// <summary>A waiting node asking a holder directly; signed with the waiting node's identity key like any node call.</summary>
public sealed record DirectSyncRequest(Guid NodeId, string SyncPublicKey, string SyncSignature);

/// <summary>The holder's answer: its credential key sealed to the waiting node's sync key.</summary>
public sealed record DirectSyncResponse(string Envelope, int Version);

/// <summary>
/// The server asks a node that holds the runtime's credential key to rotate it (a node was removed): make a new key
/// of <see cref="NewVersion"/>, re-seal every stored secret of the runtime to it, and send them back together.
/// </summary>
public sealed record CredentialRotation(int NewVersion, IReadOnlyList<StoredCredential> Credentials);

/// <summary>One linked service's stored encryptedCredential.</summary>
public sealed record StoredCredential(string Factory, string LinkedService, string Envelope);

/// <summary>The rotated key's public half and every secret re-sealed to it; the server swaps them in one transaction.</summary>
public sealed record CredentialRotationRequest(int FromVersion, int NewVersion, string NewPublicKey, IReadOnlyList<ResealedCredential> Resealed);

/// <summary>A secret as it was stored (to detect a change meanwhile) and re-sealed to the new key.</summary>
public sealed record ResealedCredential(string Factory, string LinkedService, string OldEnvelope, string NewEnvelope);

/// <summary>
/// A node of the same runtime that lacks the credential key, the one-off key to seal it to, and what the holder checks
/// before sealing: the node's identity public key and its signature over the sync key (<see cref="Credentials.CredentialSyncProof"/>).
/// </summary>
public sealed record CredentialSyncRequest(Guid NodeId, string SyncPublicKey, string? NodeName = null, string? NodePublicKey = null, string? SyncSignature = null);

/// <summary>The runtime's credential key, sealed by a node that holds it to another node's one-off sync key.</summary>
public sealed record SealedCredentialRequest(Guid ForNodeId, string Envelope);

/// <summary>A node announcing a graceful stop, so it shows Offline at once.</summary>
public sealed record StoppingRequest(string Reason);
