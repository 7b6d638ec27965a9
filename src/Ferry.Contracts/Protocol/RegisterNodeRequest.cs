namespace Ferry.Contracts.Protocol;

/// <summary>A node asks to join a runtime with one of its authentication keys and its own public key.</summary>
public sealed record RegisterNodeRequest(
    string AuthKey,
    string? NodeName,
    string MachineName,
    string PublicKey,
    string Version,
    int ProcessorCount,
    long TotalMemoryMB,
    string OperatingSystem);

/// <summary>The durable identity the server gave a node, and how often it must heartbeat.</summary>
public sealed record RegisterNodeResponse(
    Guid NodeId,
    string NodeName,
    string Factory,
    string Runtime,
    Guid RuntimeId,
    int HeartbeatIntervalSeconds);
