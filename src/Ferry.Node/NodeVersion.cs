namespace Ferry.Node;

/// <summary>This node's version, as reported to the server.</summary>
public static class NodeVersion
{
    public static readonly string Current = typeof(NodeVersion).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
