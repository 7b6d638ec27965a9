using Ferry.Contracts.Resources;
using Ferry.Server.Store;

namespace Ferry.Server.Nodes;

/// <summary>
/// How a node's status and a runtime's state follow from what the server last heard. Pure functions of the stored
/// node and the current time, so tests drive them with a fake clock.
/// </summary>
public static class NodeStatusRules
{
    /// <summary>
    /// Offline when the node said it stopped, or when it has been silent for longer than the offline threshold
    /// (the reference's "offline means the heartbeat stopped"); Initializing between registration and the first
    /// heartbeat; Limited while it heartbeats but lacks the runtime's current credential key, while its relay is down
    /// and the runtime needs the relay (self-contained interactive authoring off), or while its clock is off by more than
    /// the leeway (its calls are still accepted, but a little more drift and they are not), or while it is too old for
    /// the server (<see cref="TooOld"/>); Online otherwise.
    /// </summary>
    public static string Derive(NodeRow node, DateTimeOffset now, TimeSpan offlineAfter, int runtimeCredentialVersion = 0, bool relayRequired = false)
    {
        if (node.Stopped)
            return NodeStatus.Offline;
        if (node.LastHeartbeatAt is not { } last)
            return now - node.RegisteredAt <= offlineAfter ? NodeStatus.Initializing : NodeStatus.Offline;
        if (now - last > offlineAfter)
            return NodeStatus.Offline;
        return CredentialInSync(node.CredentialKeyVersion, runtimeCredentialVersion) && RelayUsable(node.RelayConnected, relayRequired)
               && node.ClockSkewSeconds is null && !TooOld(node.Version)
            ? NodeStatus.Online
            : NodeStatus.Limited;
    }

    /// <summary>The oldest node version a server works with unless told otherwise: older nodes speak a node protocol it no longer serves.</summary>
    public static readonly Version DefaultMinimumNodeVersion = new(0, 1, 0);

    /// <summary>The oldest node version this server works with (--minimum-node-version, set once at start).</summary>
    public static Version MinimumNodeVersion { get; private set; } = DefaultMinimumNodeVersion;

    public static void Configure(Version minimumNodeVersion) => MinimumNodeVersion = minimumNodeVersion;

    /// <summary>How many minor versions a node may be behind the server and still be supported (ADF's "Expired" beyond).</summary>
    public const int SupportedMinorVersions = 2;

    /// <summary>Whether a node is too old for this server: it gets no jobs and is Limited until it is updated.</summary>
    public static bool TooOld(string? nodeVersion) => ParseVersion(nodeVersion) < MinimumNodeVersion;

    /// <summary>
    /// ADF's versionStatus of a node: Expired when it is too old for the server or more than
    /// <see cref="SupportedMinorVersions"/> minor versions (or a major version) behind it, UpdateAvailable when behind
    /// within that window, UpToDate otherwise.
    /// </summary>
    public static string VersionStatus(string? nodeVersion, string serverVersion)
    {
        var (node, server) = (ParseVersion(nodeVersion), ParseVersion(serverVersion));
        if (TooOld(nodeVersion) || node.Major < server.Major || (node.Major == server.Major && server.Minor - node.Minor > SupportedMinorVersions))
            return "Expired";
        return node >= server ? "UpToDate" : "UpdateAvailable";
    }

    /// <summary>What a node too old for this server is told, and shown with.</summary>
    public static string TooOldCause(string? nodeVersion, string serverVersion) =>
        $"version {nodeVersion ?? "unknown"} is older than {MinimumNodeVersion.ToString(3)}, the oldest this server ({serverVersion}) works with: " +
        "it gets no jobs until it is updated. Install the current ferry-node on that machine; its identity and credentials stay.";

    /// <summary>Why a node's <see cref="VersionStatus"/> is not UpToDate, and what to do; null when it is.</summary>
    public static string? VersionCause(string? nodeVersion, string serverVersion) => VersionStatus(nodeVersion, serverVersion) switch
    {
        "Expired" when TooOld(nodeVersion) => TooOldCause(nodeVersion, serverVersion),
        "Expired" => $"version {nodeVersion} is more than {SupportedMinorVersions} minor versions behind this server ({serverVersion}): install the current ferry-node.",
        "UpdateAvailable" => $"version {nodeVersion} is behind this server's {serverVersion}; an update is available.",
        _ => null,
    };

    private static Version ParseVersion(string? v) => Version.TryParse(v, out var parsed) ? parsed : new Version(0, 0);

    /// <summary>The relay does not hold a node back when the runtime does not need it, or before the node has tried it.</summary>
    public static bool RelayUsable(bool? relayConnected, bool relayRequired) => !relayRequired || relayConnected != false;

    /// <summary>A node is in sync when it holds the runtime's current credential key, or when the runtime has none yet.</summary>
    public static bool CredentialInSync(int nodeVersion, int runtimeVersion) => runtimeVersion == 0 || nodeVersion == runtimeVersion;

    /// <summary>What a node's clock being <paramref name="skewSeconds"/> off (+ ahead) means, and what to do.</summary>
    public static string ClockSkewCause(int skewSeconds, int leewaySeconds, int signatureLifetimeSeconds) => skewSeconds > 0
        ? $"clock skew: the node's clock is {skewSeconds} s ahead of the server's, beyond the {leewaySeconds} s tolerance; " +
          "its calls are refused once it is further ahead than that. Set the node's clock right (NTP)."
        : $"clock skew: the node's clock is {-skewSeconds} s behind the server's, beyond the {leewaySeconds} s tolerance; " +
          $"its calls are refused once it is {signatureLifetimeSeconds + leewaySeconds} s behind. Set the node's clock right (NTP).";

    /// <summary>No nodes: NeedRegistration; every node Online: Online; some Online or Limited: Limited; none: Offline.</summary>
    public static string Aggregate(IReadOnlyCollection<string> nodeStatuses)
    {
        if (nodeStatuses.Count == 0)
            return RuntimeState.NeedRegistration;
        var online = nodeStatuses.Count(s => s == NodeStatus.Online);
        if (online == nodeStatuses.Count)
            return RuntimeState.Online;
        return online > 0 || nodeStatuses.Any(s => s == NodeStatus.Limited) ? RuntimeState.Limited : RuntimeState.Offline;
    }

    /// <summary>
    /// The node that dispatches for the runtime: the longest-registered node that is Online. Derived, not stored, so the
    /// role moves to another node as soon as its holder is Offline.
    /// </summary>
    public static Guid? ActiveDispatcher(IEnumerable<(NodeRow Node, string Status)> nodes) =>
        nodes.Where(n => n.Status == NodeStatus.Online).OrderBy(n => n.Node.RegisteredAt).ThenBy(n => n.Node.Name)
            .Select(n => (Guid?)n.Node.Id).FirstOrDefault();
}
