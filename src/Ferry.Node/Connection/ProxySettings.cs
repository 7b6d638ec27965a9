namespace Ferry.Node.Connection;

/// <summary>
/// How the node reaches its control plane (dmgcmd -SetProxy), the reference's three options: no proxy; the system's
/// (HTTP_PROXY, HTTPS_PROXY and NO_PROXY on Linux, the system settings on Windows), the default; or a custom proxy at
/// <see cref="Address"/>:<see cref="Port"/>, with an optional user and password (kept encrypted under the node's
/// protector key, like every secret it holds) and hosts that bypass it (exact names, or "*.domain").
/// Heartbeats, jobs, the relay and registration go through it; data-store connections do not, except HTTP data stores
/// when <see cref="HttpDataStores"/> (dmgcmd -SetProxy ... --http-data-stores).
/// </summary>
public sealed record ProxySettings(string Mode, string? Address = null, int Port = 0, string? User = null, string? ProtectedPassword = null,
    IReadOnlyList<string>? Bypass = null, bool HttpDataStores = false)
{
    public const string None = "none";
    public const string System = "system";
    public const string Custom = "custom";

    public static readonly ProxySettings Default = new(System);

    public IReadOnlyList<string> BypassList => Bypass ?? [];

    /// <summary>What dmgcmd -GetProxy prints: never the password, only whether there is one.</summary>
    public string Describe() => Path() + (HttpDataStores && Mode != None ? "; HTTP data stores go through it too" : "");

    private string Path() => Mode switch
    {
        None => "no proxy: the node connects to its control plane directly",
        Custom => $"custom proxy http://{Address}:{Port}{(User is null ? "" : $", user {User}{(ProtectedPassword is null ? "" : " (password stored encrypted)")}")}" +
                  (BypassList.Count == 0 ? "" : $", bypassed for {string.Join(", ", BypassList)}"),
        _ => "system proxy: " + (OperatingSystem.IsWindows() ? "the system's proxy settings" : EnvironmentProxy() is { } p
            ? $"{p} (from the environment; NO_PROXY bypasses it)"
            : "none set in the environment (HTTP_PROXY, HTTPS_PROXY), so the node connects directly"),
    };

    private static string? EnvironmentProxy() =>
        new[] { "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy" }.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => !string.IsNullOrEmpty(v));
}
