namespace Ferry.Node.Hosting;

/// <summary>A problem on the node's machine that stops it from starting or registering; the message says what to do.</summary>
public sealed class NodeSetupException(string message) : Exception(message);
