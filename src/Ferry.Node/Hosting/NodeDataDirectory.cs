namespace Ferry.Node.Hosting;

/// <summary>
/// Where a node keeps its identity, lock, status and admin socket. One per machine by default, so one node per machine:
/// --data-dir, else FERRY_NODE_DATA_DIR, else /var/lib/ferry-node (Linux) or %ProgramData%\Ferry\Node (Windows).
/// ferry-node and dmgcmd resolve it the same way.
/// </summary>
public sealed class NodeDataDirectory(string path)
{
    public const string EnvironmentVariable = "FERRY_NODE_DATA_DIR";

    public string Path { get; } = System.IO.Path.GetFullPath(path);
    public string IdentityFile => System.IO.Path.Combine(Path, "identity.json");
    public string RemovedIdentityFile => System.IO.Path.Combine(Path, "identity.removed.json");
    public string CredentialsFile => System.IO.Path.Combine(Path, "credentials.json");
    public string ProtectorKeyFile => System.IO.Path.Combine(Path, "credential-protector.key");
    public string StatusFile => System.IO.Path.Combine(Path, "status.json");
    public string LockFile => System.IO.Path.Combine(Path, "node.lock");
    public string PidFile => System.IO.Path.Combine(Path, "node.pid");
    public string LogFile => System.IO.Path.Combine(Path, "node.log");
    public string AdminSocket => System.IO.Path.Combine(Path, "admin.sock");
    /// <summary>Windows has no Unix socket for Kestrel's admin endpoint; a named pipe derived from the path stands in.</summary>
    public string AdminPipeName => "ferry-node-" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes(Path.ToUpperInvariant())))[..16];

    public static string DefaultPath() => OperatingSystem.IsWindows()
        ? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "Ferry", "Node")
        : "/var/lib/ferry-node";

    public static NodeDataDirectory Resolve(string? fromCommandLine) =>
        new(fromCommandLine
            ?? (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env ? env : null)
            ?? DefaultPath());

    /// <summary>Creates the folder readable only by the service account; says what to do when it cannot.</summary>
    public void Create()
    {
        try
        {
            if (OperatingSystem.IsWindows())
                Directory.CreateDirectory(Path);
            else
                Directory.CreateDirectory(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeSetupException(
                $"Cannot create the node's data dir '{Path}': {e.Message}. Run as the service account (root for the default), " +
                $"or pass --data-dir (or set {EnvironmentVariable}) to a folder you can write.");
        }
    }
}
