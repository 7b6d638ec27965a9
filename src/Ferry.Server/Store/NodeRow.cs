namespace Ferry.Server.Store;

/// <summary>A registered node as stored: its identity, its last heartbeat's figures and the status last recorded for it.</summary>
public sealed record NodeRow(
    Guid Id,
    Guid RuntimeId,
    string Name,
    string MachineName,
    string PublicKey,
    string Version,
    DateTimeOffset RegisteredAt,
    DateTimeOffset? LastConnectAt,
    DateTimeOffset? LastStartAt,
    DateTimeOffset? LastStopAt,
    DateTimeOffset? LastHeartbeatAt,
    bool Stopped,
    int ConcurrentJobsLimit,
    int MaxConcurrentJobs,
    int ProcessorCount,
    long TotalMemoryMB,
    string OperatingSystem,
    double CpuUtilization,
    long AvailableMemoryMB,
    int ConcurrentJobsRunning,
    long SentBytes,
    long ReceivedBytes,
    string? IpAddress,
    string? LastError,
    string RecordedStatus,
    int CredentialKeyVersion = 0,
    string? SyncPublicKey = null,
    string? SealedCredential = null,
    bool? RelayConnected = null,
    string? RelayError = null,
    int? RemotePort = null,
    string? RemoteCertificate = null,
    int? ClockSkewSeconds = null);

/// <summary>The figures a heartbeat brings, written in one statement.</summary>
public sealed record HeartbeatUpdate(
    Guid NodeId,
    DateTimeOffset At,
    string Version,
    DateTimeOffset StartedAt,
    bool Reconnected,
    double CpuUtilization,
    long AvailableMemoryMB,
    int ConcurrentJobsRunning,
    long SentBytes,
    long ReceivedBytes,
    string? IpAddress,
    string? LastError,
    int CredentialKeyVersion = 0,
    string? SyncPublicKey = null,
    bool? RelayConnected = null,
    string? RelayError = null,
    string? SyncSignature = null,
    int? RemotePort = null,
    string? RemoteCertificate = null,
    int? ClockSkewSeconds = null);

/// <summary>A runtime that was deleted, remembered so its keys fail with "deleted" rather than "unknown".</summary>
public sealed record DeletedRuntimeRow(Guid Id, string Factory, string Name, DateTimeOffset DeletedAt);
