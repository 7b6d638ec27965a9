namespace Ferry.Node.Identity;

/// <summary>
/// What registration made of this node: its id and name, what it is bound to (factory, runtime, server) and its
/// private signing key (PKCS#8, base64). Stored owner-only in the data dir.
/// </summary>
public sealed record NodeIdentity(
    Guid NodeId,
    string NodeName,
    string Factory,
    string Runtime,
    Guid RuntimeId,
    string ServerUrl,
    string PrivateKey,
    DateTimeOffset RegisteredAt)
{
    /// <summary>The public half of the node's identity key (SubjectPublicKeyInfo, base64), as the server holds it.</summary>
    public string PublicKey()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(PrivateKey), out _);
        return Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
    }

    /// <summary>The private key never appears in a printed record.</summary>
    public override string ToString() => $"node {NodeName} of {Factory}/{Runtime} at {ServerUrl}";
}
