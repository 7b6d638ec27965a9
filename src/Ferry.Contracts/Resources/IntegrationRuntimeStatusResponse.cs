namespace Ferry.Contracts.Resources;

/// <summary>ADF's IntegrationRuntimeStatusResponse.</summary>
public sealed record IntegrationRuntimeStatusResponse(string Name, IntegrationRuntimeStatus Properties);

/// <summary>ADF's SelfHostedIntegrationRuntimeStatus (or ManagedIntegrationRuntimeStatus when Type is Managed).</summary>
public sealed record IntegrationRuntimeStatus(string Type, string DataFactoryName, string State, IntegrationRuntimeStatusTypeProperties TypeProperties);

/// <summary>The typeProperties of a runtime's status; fields Ferry does not fill yet are absent, never faked.</summary>
public sealed record IntegrationRuntimeStatusTypeProperties(
    DateTimeOffset CreateTime,
    string? Version = null,
    IReadOnlyList<SelfHostedIntegrationRuntimeNode>? Nodes = null,
    string? AutoUpdate = null,
    string? UpdateDelayOffset = null,
    string? VersionStatus = null,
    IReadOnlyList<string>? ServiceUrls = null,
    IReadOnlyList<LinkedIntegrationRuntime>? Links = null);

/// <summary>ADF's LinkedIntegrationRuntime (runtimes sharing this one); Ferry has none yet, so the list is empty.</summary>
public sealed record LinkedIntegrationRuntime(string Name, string DataFactoryName, DateTimeOffset CreateTime);

/// <summary>ADF's SelfHostedIntegrationRuntimeNode.</summary>
public sealed record SelfHostedIntegrationRuntimeNode(
    string NodeName,
    string MachineName,
    string Status,
    string? Version,
    string? VersionStatus,
    DateTimeOffset RegisterTime,
    DateTimeOffset? LastConnectTime,
    DateTimeOffset? LastStartTime,
    DateTimeOffset? LastStopTime,
    bool IsActiveDispatcher,
    int ConcurrentJobsLimit,
    int MaxConcurrentJobs,
    IReadOnlyDictionary<string, string> Capabilities)
{
    /// <summary>When the control plane last heard the node's heartbeat (Ferry's addition: the first thing to ask of a node that went quiet).</summary>
    public DateTimeOffset? LastHeartbeatTime { get; init; }

    /// <summary>
    /// The last failure known of the node (Ferry's addition): what the node reported on its last heartbeat, or why the
    /// server refused its last call (clock skew, a bad signature); null when all is well.
    /// </summary>
    public string? LastError { get; init; }
}

/// <summary>Node status values, ADF's names.</summary>
public static class NodeStatus
{
    public const string NeedRegistration = "NeedRegistration";
    public const string Online = "Online";
    public const string Limited = "Limited";
    public const string Offline = "Offline";
    public const string Upgrading = "Upgrading";
    public const string Initializing = "Initializing";
    public const string InitializeFailed = "InitializeFailed";
}

/// <summary>Runtime state values, ADF's names.</summary>
public static class RuntimeState
{
    public const string NeedRegistration = "NeedRegistration";
    public const string Online = "Online";
    public const string Limited = "Limited";
    public const string Offline = "Offline";
    /// <summary>A managed runtime is the server itself, so it is started whenever the server answers.</summary>
    public const string Started = "Started";
}
