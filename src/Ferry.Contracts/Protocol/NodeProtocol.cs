namespace Ferry.Contracts.Protocol;

/// <summary>Paths of the node gateway: the only server endpoints a node calls.</summary>
public static class NodeProtocol
{
    /// <summary>Bumped when a node and a server of different versions could no longer understand each other.</summary>
    public const int Version = 1;
    public const string RegisterPath = "/node/v1/register";
    public const string HeartbeatPath = "/node/v1/heartbeat";
    public const string StoppingPath = "/node/v1/stopping";
    public const string SealedCredentialPath = "/node/v1/credentials/sealed";
    public const string CredentialRotationPath = "/node/v1/credentials/rotate";
    /// <summary>The node's WebSocket for interactive requests (a GET upgraded, signed like every other call).</summary>
    public const string RelayPath = "/node/v1/relay";
    /// <summary>Self-contained interactive authoring: the node long-polls for interactive requests here instead of the relay.</summary>
    public const string InteractivePollPath = "/node/v1/interactive/poll";
    public const string InteractiveResultPath = "/node/v1/interactive/result";
    public const string JobPollPath = "/node/v1/jobs/poll";
    /// <summary>Followed by /{jobId}/renew or /{jobId}/complete.</summary>
    public const string JobsPath = "/node/v1/jobs";
    /// <summary>What the server knows of the calling node, with no side effect (dmgcmd -Diagnose).</summary>
    public const string SelfCheckPath = "/node/v1/self-check";
    /// <summary>dmgcmd -SendLogs: the node's recent logs, secrets redacted, kept on the control plane for support.</summary>
    public const string SupportLogsPath = "/node/v1/support-logs";
    public const string AuthorizationScheme = "FerryNode";
}
