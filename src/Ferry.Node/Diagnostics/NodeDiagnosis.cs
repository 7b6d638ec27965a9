using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Node.Admin;
using Ferry.Node.Connection;
using Ferry.Node.Heartbeats;
using Ferry.Node.Hosting;
using Ferry.Node.Identity;
using Ferry.Node.Metrics;
using Ferry.Node.Registration;

namespace Ferry.Node.Diagnostics;

/// <summary>
/// dmgcmd -Diagnose: the reference's IR-offline table walked on the host, in its order. Each check says pass, fail,
/// warn or skip (it needs an earlier one), with the evidence it saw and, when it fails, the fix. Nothing is changed on
/// the host or the server. The network part alone is -CheckConnectivity.
/// </summary>
public sealed class NodeDiagnosis(NodeDataDirectory dir, AdminClient admin, NodeIdentityStore identities, ControlPlaneHttp http, ServerClient server,
    TimeProvider time)
{
    public static readonly TimeSpan NetworkTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Below this much free space in the data dir, logs, state and staged files may fail to be written.</summary>
    public const long MinimumFreeDiskMB = 512;

    /// <summary>What one running copy may need (the 10M-row Parquet copy peaks at about 210 MB: bench/README.md).</summary>
    public const long MemoryPerJobMB = 256;

    public async Task<DiagnosisReport> RunAsync(bool networkOnly, string? expectedRuntime, string? expectedFactory, CancellationToken ct)
    {
        var checks = new List<DiagnosticCheck>();
        var live = await admin.StatusAsync(ct);
        if (!networkOnly)
            checks.Add(Service(live));

        var identity = identities.Load();
        var lastRegistration = LastRegistrationRecord.Load(dir);
        Uri? serverUrl = identity is not null ? new Uri(identity.ServerUrl)
            : lastRegistration is not null ? new Uri(lastRegistration.ServerUrl) : null;

        // Through a proxy, this host connects to the proxy only; the proxy resolves and reaches the server.
        var proxy = serverUrl is null ? null : http.ProxyFor(serverUrl);
        var firstHop = proxy ?? serverUrl;
        var (dns, addresses) = await DnsAsync(firstHop, proxy is not null, ct);
        checks.Add(dns);
        var tcp = await TcpAsync(firstHop, addresses, proxy is not null, ct);
        checks.Add(tcp);
        checks.Add(proxy is null ? await TlsAsync(serverUrl, tcp.Status == CheckStatus.Pass, ct)
            : new("tls", serverUrl!.Scheme == Uri.UriSchemeHttps ? CheckStatus.Skip : CheckStatus.Pass, serverUrl.Scheme == Uri.UriSchemeHttps
                ? "checked through the proxy's tunnel (see proxy)" : $"plain HTTP to {serverUrl.Host}:{serverUrl.Port}: no TLS to check"));
        var proxyCheck = await ProxyAsync(serverUrl, proxy, tcp.Status == CheckStatus.Pass, ct);
        checks.Add(proxyCheck);

        NodeSelfCheck? self = null;
        ServerProblemException? refused = null;
        TimeSpan roundTrip = default;
        DateTimeOffset answeredAt = default;
        if (identity is not null && tcp.Status == CheckStatus.Pass && proxyCheck.Status == CheckStatus.Pass)
        {
            var started = time.GetTimestamp();
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(NetworkTimeout * 2);
                self = await server.SelfCheckAsync(identity, live?.Version ?? NodeVersion.Current, timeout.Token);
            }
            catch (ServerProblemException e)
            {
                refused = e;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                // Reached by TCP but no answer: the identity check says so.
            }
            roundTrip = time.GetElapsedTime(started);
            answeredAt = time.GetUtcNow();
        }
        if (!networkOnly)
            checks.Add(Identity(identity, lastRegistration, self, refused, tcp.Status == CheckStatus.Pass ? proxyCheck : tcp, expectedRuntime, expectedFactory));
        checks.Add(Relay(live));
        if (!networkOnly)
        {
            checks.Add(Version(self, live));
            checks.Add(Clock(self, refused, answeredAt - roundTrip / 2));
            checks.Add(Disk());
            checks.Add(Memory(self));
            checks.Add(HighAvailability(self));
        }
        var first = checks.FirstOrDefault(c => c.Status == CheckStatus.Fail);
        return new DiagnosisReport(dir.Path, first is null, first?.Name, checks);
    }

    private DiagnosticCheck Service(NodeStatusReport? live)
    {
        if (live is null)
            return new("service", CheckStatus.Fail, $"service stopped: no ferry-node is running on {dir.Path}",
                "Start it: dmgcmd -Start (under systemd: systemctl start ferry-node), and set it to start at boot: systemctl enable ferry-node.");
        var running = $"running (pid {live.ProcessId}, version {live.Version}, connection {live.State})";
        if (!OperatingSystem.IsLinux())
            return new("service", CheckStatus.Pass, running);
        var unit = File.Exists(ServiceUnit) ? SystemctlIsEnabled() : null;
        return unit == "enabled"
            ? new("service", CheckStatus.Pass, running + "; starts at boot (systemd unit ferry-node enabled)")
            : new("service", CheckStatus.Warn, running + (unit is null
                  ? "; not installed as a systemd service, so it will not start again after a reboot"
                  : $"; the systemd unit ferry-node is {unit}, so it will not start at boot"),
              "Install deploy/ferry-node.service (docs/operations.md) and run systemctl enable --now ferry-node.");
    }

    private const string ServiceUnit = "/etc/systemd/system/ferry-node.service";

    private static string? SystemctlIsEnabled()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("systemctl", ["is-enabled", "ferry-node"]) { RedirectStandardOutput = true, RedirectStandardError = true });
            if (process is null)
                return null;
            var answer = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit(5000);
            return answer.Length == 0 ? "unknown" : answer;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no systemctl on this host
        }
    }

    private static async Task<(DiagnosticCheck Check, IPAddress[] Addresses)> DnsAsync(Uri? url, bool isProxy, CancellationToken ct)
    {
        var whose = isProxy ? "the proxy's name in the node's proxy setting" : "the server's name in this node's identity";
        if (url is null)
            return (new("dns", CheckStatus.Skip, "no server to look up: the node is not registered (see identity)"), []);
        if (IPAddress.TryParse(url.Host.Trim('[', ']'), out var literal))
            return (new("dns", CheckStatus.Pass, $"{url.Host} is an address; nothing to resolve"), [literal]);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(NetworkTimeout);
            var addresses = await Dns.GetHostAddressesAsync(url.Host, timeout.Token);
            if (addresses.Length == 0)
                throw new SocketException((int)SocketError.HostNotFound);
            return (new("dns", CheckStatus.Pass, $"{url.Host} resolves to {string.Join(", ", addresses.Select(a => a.ToString()))}"), addresses);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            var why = e is SocketException s ? s.Message : $"no answer within {NetworkTimeout.TotalSeconds:F0} s";
            return (new("dns", CheckStatus.Fail, $"DNS: cannot resolve '{url.Host}', {whose} ({why})",
                $"Check this machine's DNS servers (/etc/resolv.conf) and that '{url.Host}' is right; dmgcmd -Status shows the server URL, dmgcmd -GetProxy the proxy."), []);
        }
    }

    private static async Task<DiagnosticCheck> TcpAsync(Uri? url, IPAddress[] addresses, bool isProxy, CancellationToken ct)
    {
        if (url is null || addresses.Length == 0)
            return new("tcp", CheckStatus.Skip, url is null ? "no server to connect to (see identity)" : "needs the name resolved (see dns)");
        if (isProxy)
        {
            var toProxy = await TcpAsync(url, addresses, isProxy: false, ct);
            return toProxy.Status == CheckStatus.Pass
                ? toProxy with { Evidence = toProxy.Evidence + ", the node's proxy" }
                : new("tcp", CheckStatus.Fail, $"proxy unreachable: {toProxy.Evidence}",
                    $"Start the proxy at {url.Host}:{url.Port}, or set the node's proxy right: dmgcmd -SetProxy (dmgcmd -GetProxy shows it).");
        }
        var target = $"{url.Host}:{url.Port}";
        SocketError? last = null;
        foreach (var address in addresses)
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(NetworkTimeout);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, url.Port), timeout.Token);
                return new("tcp", CheckStatus.Pass, $"connected to {target} ({address})");
            }
            catch (SocketException e)
            {
                last = e.SocketErrorCode;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                last = SocketError.TimedOut;
            }
        }
        return last switch
        {
            SocketError.ConnectionRefused => new("tcp", CheckStatus.Fail,
                $"refused: {target} refused the connection (nothing listens on port {url.Port} there, or a firewall rejects it)",
                $"Start ferry-server on {target}, or allow outbound TCP to {target} on the firewall between this host and the server."),
            SocketError.TimedOut => new("tcp", CheckStatus.Fail,
                $"filtered: no answer from {target} within {NetworkTimeout.TotalSeconds:F0} s (a firewall drops the packets, or the server's host is down)",
                $"Allow outbound TCP to {target} on every firewall on the way, or bring the server's host back."),
            _ => new("tcp", CheckStatus.Fail, $"unreachable: cannot connect to {target} ({last})",
                $"Check this host's network route to {url.Host} (ip route) and the firewall."),
        };
    }

    private static async Task<DiagnosticCheck> TlsAsync(Uri? url, bool connected, CancellationToken ct)
    {
        if (url is null || !connected)
            return new("tls", CheckStatus.Skip, "needs a TCP connection to the server (see tcp)");
        if (url.Scheme != Uri.UriSchemeHttps)
            return new("tls", CheckStatus.Pass, $"plain HTTP to {url.Host}:{url.Port}: no TLS to check (use an https:// server URL across untrusted networks)");
        SslPolicyErrors errors = SslPolicyErrors.None;
        X509ChainStatus[] chain = [];
        string? subject = null;
        DateTime? notAfter = null;
        try
        {
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(NetworkTimeout);
            await client.ConnectAsync(url.Host, url.Port, timeout.Token);
            await using var ssl = new SslStream(client.GetStream(), false, (_, certificate, x509Chain, policyErrors) =>
            {
                errors = policyErrors;
                chain = x509Chain?.ChainStatus ?? [];
                subject = certificate?.Subject;
                notAfter = (certificate as X509Certificate2)?.NotAfter;
                return policyErrors == SslPolicyErrors.None;
            });
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = url.Host }, timeout.Token);
            return new("tls", CheckStatus.Pass, $"{ssl.SslProtocol} with {url.Host}; certificate {subject}, valid until {notAfter:yyyy-MM-dd}");
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
                return new("tls", CheckStatus.Fail, $"certificate problem: the server's certificate ({subject}) is not for '{url.Host}'",
                    $"Reach the server by a name its certificate holds, or give it a certificate for '{url.Host}'.");
            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
            {
                var reasons = string.Join("; ", chain.Select(c => $"{c.Status}: {c.StatusInformation.Trim()}").Distinct());
                var untrusted = chain.Any(c => c.Status is X509ChainStatusFlags.UntrustedRoot or X509ChainStatusFlags.PartialChain);
                return new("tls", CheckStatus.Fail,
                    $"certificate problem: the server's certificate ({subject}) is {(untrusted ? "not trusted by this machine" : "not valid")} ({reasons})",
                    untrusted
                        ? "Add the certificate authority that signed it to this machine's trust store (Debian: copy it to /usr/local/share/ca-certificates/ and run update-ca-certificates)."
                        : "Renew the server's certificate, or set this machine's clock right if it is wrong.");
            }
            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
                return new("tls", CheckStatus.Fail, "certificate problem: the server sent no certificate", "Configure a certificate on the server's TLS endpoint.");
            return new("tls", CheckStatus.Fail, $"TLS handshake with {url.Host}:{url.Port} failed: {e.Message}",
                "Check that the port speaks TLS (an http:// server URL for a plain-HTTP server) and that no proxy intercepts it.");
        }
    }

    /// <summary>Through the node's proxy to the server's /health: the proxy answers, accepts the node's credentials and reaches the server.</summary>
    private async Task<DiagnosticCheck> ProxyAsync(Uri? serverUrl, Uri? proxy, bool connected, CancellationToken ct)
    {
        if (proxy is null)
            return new("proxy", CheckStatus.Pass, http.Proxy.Mode == ProxySettings.None || serverUrl is null
                ? http.Proxy.Describe()
                : $"{http.Proxy.Describe()}; none applies to {serverUrl?.Host}, so the node connects directly");
        if (!connected)
            return new("proxy", CheckStatus.Skip, "needs a TCP connection to the proxy (see tcp)");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(NetworkTimeout * 2);
            using var response = await http.Client.GetAsync(new Uri(serverUrl!, "/health"), timeout.Token);
            if (ServerClient.ProxyRefused(response))
                return ProxyAuthentication(proxy);
            return response.IsSuccessStatusCode
                ? new("proxy", CheckStatus.Pass, $"through the proxy {proxy.Authority} ({http.Proxy.Mode}): the server answered /health")
                : new("proxy", CheckStatus.Fail, $"the proxy {proxy.Authority} answered {(int)response.StatusCode} {response.ReasonPhrase} for {serverUrl}",
                    $"Let the proxy pass requests to {serverUrl!.Authority} (its allow list or ACL).");
        }
        catch (HttpRequestException e) when (e.StatusCode == HttpStatusCode.ProxyAuthenticationRequired || e.Message.Contains("407", StringComparison.Ordinal))
        {
            return ProxyAuthentication(proxy);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return new("proxy", CheckStatus.Fail, $"through the proxy {proxy.Authority}: {e.Message}{(e.InnerException is { } inner ? $" ({inner.Message})" : "")}",
                $"Check that the proxy can reach {serverUrl!.Authority}, and for an https:// server that this machine trusts its certificate.");
        }
    }

    private static DiagnosticCheck ProxyAuthentication(Uri proxy) => new("proxy", CheckStatus.Fail,
        $"proxy authentication required (407): the proxy {proxy.Authority} refused the node's proxy credentials",
        "Set the proxy's user and password: dmgcmd -SetProxy \"<host>:<port>\" \"<user>\" \"<password>\".");

    private DiagnosticCheck Identity(NodeIdentity? identity, LastRegistrationRecord? lastRegistration, NodeSelfCheck? self, ServerProblemException? refused,
        DiagnosticCheck tcp, string? expectedRuntime, string? expectedFactory)
    {
        const string name = "identity";
        if (identity is null)
        {
            if (identities.LoadRemoved() is { } removed)
                return new(name, CheckStatus.Fail, $"node removed: {removed.NodeName} was deleted from runtime {removed.Runtime} of factory {removed.Factory} (the server said so)",
                    $"Register it again with a current key: ferry ir list-auth-key --name {removed.Runtime}, then dmgcmd -RegisterNewNode \"<key>\" \"{removed.NodeName}\".");
            if (lastRegistration is { Code: ErrorCodes.KeyRegenerated })
                return new(name, CheckStatus.Fail,
                    $"key rotated: not registered; the last registration ({lastRegistration.At:yyyy-MM-dd HH:mm:ss}, to {lastRegistration.ServerUrl}) used a key that was regenerated since",
                    "Get the runtime's current key (ferry ir list-auth-key --name <runtime>) and run dmgcmd -RegisterNewNode \"<key>\".");
            return new(name, CheckStatus.Fail, lastRegistration is null
                    ? $"not registered: {dir.Path} holds no node identity"
                    : $"not registered: the last registration ({lastRegistration.At:yyyy-MM-dd HH:mm:ss}) was refused: {lastRegistration.Message}",
                "Register this machine: dmgcmd -RegisterNewNode \"<key>\" (ferry ir list-auth-key --name <runtime> prints a key).");
        }
        var local = $"runtime {identity.Runtime} of factory {identity.Factory}";
        if (refused is { Code: ErrorCodes.NodeRemoved })
            return new(name, CheckStatus.Fail, $"node removed: the server no longer knows node {identity.NodeName} of {local} ({refused.Message})",
                $"Register it again with a current key: ferry ir list-auth-key --name {identity.Runtime}, then dmgcmd -RegisterNewNode \"<key>\" \"{identity.NodeName}\".");
        if (refused is { Code: ErrorCodes.RuntimeDeleted })
            return new(name, CheckStatus.Fail, $"runtime deleted: {local} no longer exists on the server",
                "Register this node with another runtime's key: dmgcmd -RegisterNewNode \"<key>\".");
        if (refused is { Code: ErrorCodes.ClockSkew })
            return new(name, CheckStatus.Skip, "cannot tell: the server refused this node's signature because of its clock (see clock)");
        if (refused is not null)
            return new(name, CheckStatus.Fail, $"auth rejected: the server refused node {identity.NodeName} of {local} ({refused.Code}: {refused.Message})",
                "Register the node again: dmgcmd -RegisterNewNode \"<key>\".");
        if (self is null)
            return new(name, CheckStatus.Skip, tcp.Status == CheckStatus.Pass ? "the server did not answer in time" : $"needs the server reachable (see {tcp.Name})");
        var bound = $"bound to runtime {self.Runtime} of factory {self.Factory}";
        if (self.NodeId != identity.NodeId || self.Runtime != identity.Runtime || self.Factory != identity.Factory)
            return new(name, CheckStatus.Fail, $"{bound}, as node {self.NodeName}, but this node's identity file says {local}, node {identity.NodeName} (a copied or restored identity?)",
                "Register this machine as a node of its own: move identity.json aside and run dmgcmd -RegisterNewNode \"<key>\".");
        if ((expectedRuntime is not null && !string.Equals(expectedRuntime, self.Runtime, StringComparison.OrdinalIgnoreCase))
            || (expectedFactory is not null && !string.Equals(expectedFactory, self.Factory, StringComparison.OrdinalIgnoreCase)))
            return new(name, CheckStatus.Fail,
                $"{bound}, not runtime {expectedRuntime ?? self.Runtime} of factory {expectedFactory ?? self.Factory}",
                $"Re-register with the key of the runtime you meant: ferry ir list-auth-key --name {expectedRuntime ?? self.Runtime}, then dmgcmd -Key \"<key>\".");
        return new(name, CheckStatus.Pass, $"accepted: node {self.NodeName}, {bound}; the server shows it {self.Status}");
    }

    private static DiagnosticCheck Relay(NodeStatusReport? live)
    {
        if (live is null)
            return new("relay", CheckStatus.Skip, "needs the service running (see service)");
        if (live.SelfContainedInteractiveAuthoring)
            return new("relay", CheckStatus.Pass, "not needed: the runtime uses self-contained interactive authoring (the node polls the server)");
        return live.RelayConnected switch
        {
            true => new("relay", CheckStatus.Pass, "connected: interactive authoring (test connection, browse, preview) reaches this node"),
            false => new("relay", CheckStatus.Fail, $"Limited: interactive authoring unavailable: {live.RelayError ?? "the relay is down"}",
                "Allow outbound connections to the relay URL (ferry ir get-status lists serviceUrls), or set selfContainedInteractiveAuthoringEnabled on the runtime."),
            null => new("relay", CheckStatus.Skip, "not tried yet: the node opens it after its first heartbeat"),
        };
    }

    private static DiagnosticCheck Version(NodeSelfCheck? self, NodeStatusReport? live)
    {
        var version = live?.Version ?? NodeVersion.Current;
        if (self is null)
            return new("version", CheckStatus.Skip, $"this node runs {version}; needs the server's answer to judge it (see identity)");
        return self.VersionStatus switch
        {
            "Expired" => new("version", CheckStatus.Fail, $"version expired: {self.VersionCause}",
                $"Install ferry-node {self.ServerVersion} on this machine (its identity and credentials stay), then dmgcmd -Restart."),
            "UpdateAvailable" => new("version", CheckStatus.Warn, $"{version}: supported, {self.VersionCause}",
                $"Install ferry-node {self.ServerVersion} when convenient."),
            _ => new("version", CheckStatus.Pass, $"{version}: up to date with the server ({self.ServerVersion})"),
        };
    }

    private static DiagnosticCheck Clock(NodeSelfCheck? self, ServerProblemException? refused, DateTimeOffset localAtAnswer)
    {
        if (refused is { Code: ErrorCodes.ClockSkew })
            return new("clock", CheckStatus.Fail, refused.Message, "Set this machine's clock right: enable NTP (timedatectl set-ntp true).");
        if (self is null)
            return new("clock", CheckStatus.Skip, "needs the server's answer (see identity)");
        var skew = (localAtAnswer - self.ServerTime).TotalSeconds;
        var text = skew >= 0 ? $"{skew.ToString("F1", CultureInfo.InvariantCulture)} s ahead of" : $"{(-skew).ToString("F1", CultureInfo.InvariantCulture)} s behind";
        return Math.Abs(skew) > self.ClockLeewaySeconds
            ? new("clock", CheckStatus.Fail, $"clock skew: this machine's clock is {text} the server's, beyond the {self.ClockLeewaySeconds} s tolerance",
                "Set this machine's clock right: enable NTP (timedatectl set-ntp true).")
            : new("clock", CheckStatus.Pass, $"{text} the server's (tolerance {self.ClockLeewaySeconds} s)");
    }

    private DiagnosticCheck Disk()
    {
        var folder = Directory.Exists(dir.Path) ? dir.Path : System.IO.Path.GetDirectoryName(dir.Path)!;
        var free = new DriveInfo(folder).AvailableFreeSpace / (1024 * 1024);
        return free < MinimumFreeDiskMB
            ? new("disk", CheckStatus.Fail, $"disk full: {free} MB free on the file system of {dir.Path} (the node needs at least {MinimumFreeDiskMB} MB for its log, state and staged files)",
                $"Free space on that file system, or move the data dir to a larger one (--data-dir, or {NodeDataDirectory.EnvironmentVariable}).")
            : new("disk", CheckStatus.Pass, $"{free:N0} MB free for {dir.Path}");
    }

    private static DiagnosticCheck Memory(NodeSelfCheck? self)
    {
        var (total, available) = HostMetrics.Read();
        var limit = self?.ConcurrentJobsLimit ?? Environment.ProcessorCount;
        var needed = limit * MemoryPerJobMB;
        return available < needed
            ? new("memory", CheckStatus.Fail, $"memory: {available:N0} MB available of {total:N0} MB; {limit} concurrent jobs may need about {needed:N0} MB",
                "Lower the node's concurrent jobs limit (ferry ir node update --concurrent-jobs-limit N) or give the host more memory.")
            : new("memory", CheckStatus.Pass, $"{available:N0} MB available of {total:N0} MB, enough for {limit} concurrent job(s) at about {MemoryPerJobMB} MB each");
    }

    private static DiagnosticCheck HighAvailability(NodeSelfCheck? self) => self switch
    {
        null => new("high-availability", CheckStatus.Skip, "needs the server's answer (see identity)"),
        { NodesInRuntime: <= 1 } => new("high-availability", CheckStatus.Warn,
            $"single node: runtime {self.Runtime} has only this node, so when it stops the runtime stops too",
            "Register a second node on another machine with the same key (ferry ir list-auth-key)."),
        _ => new("high-availability", CheckStatus.Pass, $"runtime {self.Runtime} has {self.NodesInRuntime} nodes"),
    };
}
