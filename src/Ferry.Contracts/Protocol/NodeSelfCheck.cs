namespace Ferry.Contracts.Protocol;

/// <summary>A node asking what the server knows of it, saying which version it runs.</summary>
public sealed record NodeSelfCheckRequest(string Version);

/// <summary>
/// What the server knows of the node that asked (dmgcmd -Diagnose compares it with the node's own identity): who the
/// node is and where it belongs, how the server sees it now, its version's standing, the server's clock, how many nodes
/// its runtime has, and every endpoint a node of the runtime must reach.
/// </summary>
public sealed record NodeSelfCheck(
    Guid NodeId,
    string NodeName,
    string Factory,
    string Runtime,
    string Status,
    string? LastError,
    string VersionStatus,
    string? VersionCause,
    string ServerVersion,
    DateTimeOffset ServerTime,
    int ClockLeewaySeconds,
    int NodesInRuntime,
    int ConcurrentJobsLimit,
    IReadOnlyList<string> ServiceUrls);

/// <summary>A node's recent logs (dmgcmd -SendLogs), already redacted; the server redacts them again before it keeps them.</summary>
public sealed record SupportLogsRequest(string Logs);

/// <summary>Where the server keeps them: give this id to whoever supports you (ferry support-log show --id).</summary>
public sealed record SupportLogsResponse(string Id, int Bytes);
