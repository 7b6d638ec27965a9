using System.Text.Json.Nodes;
using Ferry.Engine.Access;

namespace Ferry.Engine.Interactive;

/// <summary>
/// What the host gives the engine: its access policy, and the way to open a linked service's
/// <c>encryptedCredential</c> into its secret properties (a node opens it with its runtime's credential key; the
/// managed runtime has none yet). Opened secrets live only in memory for the one request. <see cref="HttpDataStoreProxy"/>
/// is the node's proxy when its user let HTTP data stores use it (dmgcmd -SetProxy ... --http-data-stores); other
/// data stores never go through a proxy.
/// </summary>
public sealed record EngineContext(NodeAccessPolicy Policy, Func<string, JsonObject> OpenCredential, string HostName,
    System.Net.IWebProxy? HttpDataStoreProxy = null);
