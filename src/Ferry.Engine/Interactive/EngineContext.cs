using System.Text.Json.Nodes;
using Ferry.Engine.Access;

namespace Ferry.Engine.Interactive;

/// <summary>
/// What the host gives the engine: its access policy, and the way to open a linked service's
/// <c>encryptedCredential</c> into its secret properties (a node opens it with its runtime's credential key; the
/// managed runtime has none yet). Opened secrets live only in memory for the one request.
/// </summary>
public sealed record EngineContext(NodeAccessPolicy Policy, Func<string, JsonObject> OpenCredential, string HostName);
