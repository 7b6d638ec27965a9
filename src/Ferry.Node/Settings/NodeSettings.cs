namespace Ferry.Node.Settings;

/// <summary>
/// The node's security switches (dmgcmd -EnableLocalMachineAccess, -DisableLocalFolderPathValidation, -AllowLocalFolder
/// and their opposites), kept in settings.json in the data dir. The defaults are the safe ones: folder validation on,
/// no folder allowed, local machine access off. NodeApprovalRequired is sticky: once the runtime asked for it, only
/// dmgcmd on this machine can lift it, so a compromised control plane cannot switch it off to enrol a node of its own.
/// </summary>
public sealed record NodeSettings(
    bool LocalFolderPathValidation = true,
    IReadOnlyList<string>? AllowedLocalFolders = null,
    bool LocalMachineAccess = false,
    bool NodeApprovalRequired = false,
    IReadOnlyList<string>? ApprovedNodes = null,
    RemoteAccessSettings? RemoteAccess = null,
    Connection.ProxySettings? Proxy = null)
{
    public IReadOnlyList<string> Folders => AllowedLocalFolders ?? [];

    /// <summary>Fingerprints of joining nodes this node may hand the credential key to while approval is required.</summary>
    public IReadOnlyList<string> Approved => ApprovedNodes ?? [];
}

/// <summary>
/// dmgcmd -EnableRemoteAccess: a TLS listener on <see cref="Port"/> for encrypt-credential (callers show the token whose
/// SHA-256 is <see cref="TokenHash"/>) and for nodes of the same runtime fetching the credential key directly.
/// The certificate is a PFX or PEM file; without one, the node made a self-signed one in its data dir.
/// </summary>
public sealed record RemoteAccessSettings(int Port, string CertificatePath, string TokenHash, bool InContainer = false);
