namespace Ferry.Contracts.Resources;

/// <summary>ADF's IntegrationRuntimeAuthKeys.</summary>
public sealed record IntegrationRuntimeAuthKeys(string AuthKey1, string AuthKey2);

/// <summary>ADF's IntegrationRuntimeRegenerateKeyParameters.</summary>
public sealed record IntegrationRuntimeRegenerateKeyParameters(string? KeyName);

/// <summary>ADF's IntegrationRuntimeConnectionInfo, with the fields Ferry fills.</summary>
/// <remarks>
/// publicKey is the runtime's credential key (base64 SubjectPublicKeyInfo, P-256): clients seal secrets to it.
/// publicKeyVersion and runtimeId (both bound into a sealed envelope) are Ferry additions.
/// </remarks>
public sealed record IntegrationRuntimeConnectionInfo(string HostServiceUri, string Version, string? PublicKey = null, int? PublicKeyVersion = null,
    Guid? RuntimeId = null);

/// <summary>ADF's IntegrationRuntimeMonitoringData.</summary>
public sealed record IntegrationRuntimeMonitoringData(string Name, IReadOnlyList<IntegrationRuntimeNodeMonitoringData> Nodes);

/// <summary>ADF's IntegrationRuntimeNodeMonitoringData, from the node's last heartbeat.</summary>
public sealed record IntegrationRuntimeNodeMonitoringData(
    string NodeName,
    long AvailableMemoryInMB,
    double CpuUtilization,
    int ConcurrentJobsLimit,
    int ConcurrentJobsRunning,
    int MaxConcurrentJobs,
    long SentBytes,
    long ReceivedBytes);

/// <summary>ADF's IntegrationRuntimeNodeIpAddress.</summary>
public sealed record IntegrationRuntimeNodeIpAddress(string? IpAddress);

/// <summary>One recorded change of a node's status or a runtime's state, with its cause (a Ferry addition).</summary>
public sealed record StatusEvent(DateTimeOffset Time, string? NodeName, string Status, string Cause);
