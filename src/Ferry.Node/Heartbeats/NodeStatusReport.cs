namespace Ferry.Node.Heartbeats;

/// <summary>What the node knows about itself, for dmgcmd -Status and -cgc: its binding, connection and last error.</summary>
public sealed record NodeStatusReport(
    string State,
    string? Factory,
    string? Runtime,
    string? NodeName,
    string? ServerUrl,
    DateTimeOffset? LastHeartbeat,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    int? ProcessId,
    string Version,
    DateTimeOffset? StartedAt,
    bool? RelayConnected = null,
    string? RelayError = null,
    bool SelfContainedInteractiveAuthoring = false);

/// <summary>The node's connection states as dmgcmd shows them.</summary>
public static class ConnectionState
{
    public const string Connected = "Connected";
    public const string Connecting = "Connecting";
    public const string Disconnected = "Disconnected";
    public const string NeedRegistration = "NeedRegistration";
    public const string Stopped = "Stopped";
}
