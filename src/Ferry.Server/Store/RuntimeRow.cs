namespace Ferry.Server.Store;

/// <summary>An integration runtime as stored. Keys are kept as SHA-256 hashes only, with their generation.</summary>
public sealed record RuntimeRow(
    Guid Id,
    string Factory,
    string Name,
    string Type,
    string PropertiesJson,
    string Etag,
    DateTimeOffset CreatedAt,
    string AutoUpdate,
    string? UpdateDelayOffset,
    int Key1Generation,
    string? Key1Hash,
    int Key2Generation,
    string? Key2Hash,
    string RecordedState)
{
    /// <summary>ADF's typeProperties.selfContainedInteractiveAuthoringEnabled: interactive requests go over the nodes' poll channel, not the relay.</summary>
    public bool SelfContainedInteractiveAuthoring => TypePropertyIsTrue("selfContainedInteractiveAuthoringEnabled");

    /// <summary>
    /// Ferry's typeProperties.nodeApprovalRequired: a joining node gets the credential key only once its fingerprint was
    /// approved on a node that holds it (dmgcmd -ApproveNode). Nodes remember it once seen, so the server cannot lift it.
    /// </summary>
    public bool NodeApprovalRequired => TypePropertyIsTrue("nodeApprovalRequired");

    private bool TypePropertyIsTrue(string name) =>
        System.Text.Json.Nodes.JsonNode.Parse(PropertiesJson)?["typeProperties"]?[name] is System.Text.Json.Nodes.JsonValue v
        && v.TryGetValue<bool>(out var enabled) && enabled;
}

/// <summary>
/// A runtime and its credential key: version (0: none yet), public half, and whether a rotation is pending; with, when read
/// for a heartbeat, the proxy directive (JSON) waiting for that node.
/// </summary>
public sealed record RuntimeCredentialState(RuntimeRow Runtime, int KeyVersion, string? PublicKey, bool RotationPending,
    string? PendingProxyDirective = null);
