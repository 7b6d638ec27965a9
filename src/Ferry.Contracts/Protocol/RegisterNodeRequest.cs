namespace Ferry.Contracts.Protocol;

/// <summary>
/// A node asks to join a runtime with one of its authentication keys and its own public key. It also offers the public
/// half of a fresh credential key, which the server adopts as the runtime's when the runtime has none yet.
/// </summary>
public sealed record RegisterNodeRequest(
    string AuthKey,
    string? NodeName,
    string MachineName,
    string PublicKey,
    string Version,
    int ProcessorCount,
    long TotalMemoryMB,
    string OperatingSystem,
    string? CredentialPublicKey = null);

/// <summary>The durable identity the server gave a node, and how often it must heartbeat.</summary>
public sealed record RegisterNodeResponse(
    Guid NodeId,
    string NodeName,
    string Factory,
    string Runtime,
    Guid RuntimeId,
    int HeartbeatIntervalSeconds,
    int CredentialKeyVersion = 0,
    bool CredentialKeyAdopted = false);
