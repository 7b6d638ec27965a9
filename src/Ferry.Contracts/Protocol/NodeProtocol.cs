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
    public const string AuthorizationScheme = "FerryNode";
}
