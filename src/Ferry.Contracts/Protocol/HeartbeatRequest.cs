namespace Ferry.Contracts.Protocol;

/// <summary>What a node reports on every heartbeat. ConcurrentJobsLimit echoes the limit the server last set (0 before the first answer); CredentialKeyVersion is the runtime credential key the node holds (0: none).</summary>
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
    int CredentialKeyVersion = 0);

/// <summary>The server's answer: the settings it wants the node to use from now on.</summary>
public sealed record HeartbeatResponse(
    int HeartbeatIntervalSeconds,
    int ConcurrentJobsLimit,
    DateTimeOffset ServerTime);

/// <summary>A node announcing a graceful stop, so it shows Offline at once.</summary>
public sealed record StoppingRequest(string Reason);
