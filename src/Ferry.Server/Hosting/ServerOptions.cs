using Ferry.Server.Nodes;
namespace Ferry.Server.Hosting;

/// <summary>
/// Every setting of ferry-server, in one place. Each comes from the command line (<c>--data-dir</c>), or the
/// environment (<c>FERRY_SERVER_DATA_DIR</c>), or its default; <see cref="Validate"/> runs at start-up.
/// </summary>
public sealed class ServerOptions
{
    /// <summary>--data-dir: where the SQLite file, the admin token and the key secret live. Default: a per-user folder.</summary>
    public string DataDir { get; set; } = DefaultDataDir();

    /// <summary>--database: a PostgreSQL connection string; absent means SQLite in the data dir.</summary>
    public string? Database { get; set; }

    /// <summary>--public-url: the URL nodes use to reach this server, written into authentication keys. Default: the first of --urls.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>
    /// --relay-url: the URL nodes open their relay WebSocket to, when it differs from the public URL (a separate
    /// listener or load balancer for long-lived connections). Default: the public URL.
    /// </summary>
    public string? RelayUrl { get; set; }

    /// <summary>--interactive-timeout: seconds a node has to answer an interactive request (60, Azure Relay's own deadline).</summary>
    public int InteractiveTimeoutSeconds { get; set; } = 60;

    /// <summary>--job-lease: seconds a node holds a job between renewals before it goes back on the queue (60, DESIGN.md).</summary>
    public int JobLeaseSeconds { get; set; } = 60;

    public TimeSpan JobLease => TimeSpan.FromSeconds(JobLeaseSeconds);

    /// <summary>How often holders renew: every 5 s (cancels ride on renewals), or a third of a shorter lease.</summary>
    public TimeSpan JobRenew => TimeSpan.FromSeconds(Math.Min(5, Math.Max(1, JobLeaseSeconds / 3)));

    /// <summary>--heartbeat-interval: seconds between node heartbeats (10, as Kubernetes and Nomad).</summary>
    public int HeartbeatIntervalSeconds { get; set; } = 10;

    /// <summary>--missed-heartbeats: heartbeats a node may miss before it is Offline (3: longer than one lost packet's retry).</summary>
    public int MissedHeartbeats { get; set; } = 3;

    /// <summary>--max-nodes-per-runtime: the reference's limit of 4 nodes per runtime, raisable.</summary>
    public int MaxNodesPerRuntime { get; set; } = 4;

    /// <summary>--clock-leeway: seconds a node's clock may differ from the server's (60).</summary>
    public int ClockLeewaySeconds { get; set; } = 60;

    /// <summary>--signature-lifetime: seconds a node's signed request stays valid (300, as actions/runner's client assertion).</summary>
    public int SignatureLifetimeSeconds { get; set; } = 300;

    /// <summary>--max-body-bytes: the largest request body accepted (1 MiB: resource documents are small).</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>--minimum-node-version: nodes older than this get no jobs and show Limited with their version Expired.</summary>
    public Version MinimumNodeVersion { get; set; } = NodeStatusRules.DefaultMinimumNodeVersion;

    public TimeSpan HeartbeatInterval => TimeSpan.FromSeconds(HeartbeatIntervalSeconds);
    public TimeSpan OfflineAfter => HeartbeatInterval * MissedHeartbeats;

    public static string DefaultDataDir() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "ferry-server");

    public IEnumerable<string> Validate()
    {
        if (HeartbeatIntervalSeconds is < 1 or > 3600) yield return "--heartbeat-interval must be between 1 and 3600 seconds.";
        if (MissedHeartbeats is < 1 or > 100) yield return "--missed-heartbeats must be between 1 and 100.";
        if (MaxNodesPerRuntime is < 1 or > 10000) yield return "--max-nodes-per-runtime must be between 1 and 10000.";
        if (ClockLeewaySeconds is < 0 or > 3600) yield return "--clock-leeway must be between 0 and 3600 seconds.";
        if (SignatureLifetimeSeconds is < 10 or > 3600) yield return "--signature-lifetime must be between 10 and 3600 seconds.";
        if (MaxRequestBodyBytes is < 1024) yield return "--max-body-bytes must be at least 1024.";
        if (RelayUrl is not null && !Uri.TryCreate(RelayUrl, UriKind.Absolute, out _)) yield return $"--relay-url '{RelayUrl}' is not an absolute URL.";
        if (JobLeaseSeconds is < 3 or > 3600) yield return "--job-lease must be between 3 and 3600 seconds.";
        if (InteractiveTimeoutSeconds is < 1 or > 3600) yield return "--interactive-timeout must be between 1 and 3600 seconds.";
        if (PublicUrl is not null && !Uri.TryCreate(PublicUrl, UriKind.Absolute, out _)) yield return $"--public-url '{PublicUrl}' is not an absolute URL.";
    }
}
