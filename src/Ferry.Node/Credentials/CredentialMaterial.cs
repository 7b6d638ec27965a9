namespace Ferry.Node.Credentials;

/// <summary>
/// The runtime's credential key as this node holds it: the runtime it belongs to, its version, the public half
/// (what clients seal to) and the private half encrypted at rest (base64).
/// </summary>
public sealed record CredentialMaterial(Guid RuntimeId, int Version, string PublicKey, string ProtectedPrivateKey)
{
    /// <summary>The protected key never appears in a printed record.</summary>
    public override string ToString() => $"credential key v{Version} of runtime {RuntimeId}";
}
