namespace Ferry.Node.Remote;

/// <summary>Whether this node's remote access port is open (read at start), and its certificate's SHA-256, reported with heartbeats.</summary>
public sealed record RemoteAccessState(int? Port, string? CertificateSha256);
