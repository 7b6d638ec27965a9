using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Ferry.EndToEnd.Tests.Harness;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// dmgcmd -Diagnose against each cause of the reference's IR-offline table, each produced for real (a stopped service,
/// a name that does not resolve, a closed port, an untrusted certificate, a deleted node, a regenerated key after a wipe,
/// a node bound to another runtime, an expired version, a skewed clock, a full disk): the first failing check must name
/// exactly that cause, with its fix.
/// </summary>
public sealed class DiagnoseTests : IDisposable
{
    private readonly TempDir _dirs = new();
    private readonly NodeFleet _nodes;

    public DiagnoseTests() => _nodes = new NodeFleet(_dirs);

    private static async Task<(int ExitCode, JsonNode Report)> DiagnoseAsync(string nodeDir, IDictionary<string, string>? env = null, params string[] extra)
    {
        var result = await Commands.RunAsync(Binaries.DmgcmdDll, ["-Diagnose", "--json", .. extra, "--data-dir", nodeDir], env);
        return (result.ExitCode, JsonNode.Parse(result.Stdout) ?? throw new InvalidOperationException(result.ToString()));
    }

    private static JsonNode Check(JsonNode report, string name) => report["checks"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == name)!;

    /// <summary>The first failing check is <paramref name="name"/>, its evidence begins with <paramref name="cause"/>, and it says what to do.</summary>
    private static JsonNode AssertFirstFailure((int ExitCode, JsonNode Report) diagnosis, string name, string cause)
    {
        var (exitCode, report) = diagnosis;
        Assert.True(report["firstFailure"]?.GetValue<string>() == name, report.ToJsonString());
        var check = Check(report, name);
        Assert.StartsWith(cause, check["evidence"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(check["fix"]?.GetValue<string>()), "a failing check says what to do");
        Assert.Equal(1, exitCode);
        return check;
    }

    [Fact]
    public async Task A_healthy_node_passes_every_check_and_is_warned_that_it_is_the_runtimes_only_node()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var nodeDir = await _nodes.StartAsync(server, "diag-ir", "node-a");

        var (exitCode, report) = await DiagnoseAsync(nodeDir);

        Assert.True(exitCode == 0, report.ToJsonString());
        Assert.True(report["passed"]!.GetValue<bool>());
        Assert.Equal(["service", "dns", "tcp", "tls", "proxy", "identity", "relay", "version", "clock", "disk", "memory", "high-availability"],
            report["checks"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.StartsWith("accepted: node node-a, bound to runtime diag-ir of factory default", Check(report, "identity")["evidence"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("warn", Check(report, "high-availability")["status"]!.GetValue<string>());
        Assert.StartsWith("single node", Check(report, "high-availability")["evidence"]!.GetValue<string>(), StringComparison.Ordinal);

        // -CheckConnectivity (and the reference's name for it) runs the network part only.
        foreach (var action in new[] { "-cc", "-CheckConnectivityToServiceBus" })
        {
            var network = await Commands.RunAsync(Binaries.DmgcmdDll, [action, "--json", "--data-dir", nodeDir], null);
            Assert.Equal(0, network.ExitCode);
            Assert.Equal(["dns", "tcp", "tls", "proxy", "relay"], JsonNode.Parse(network.Stdout)!["checks"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        }
        var text = await Commands.DmgcmdAsync(nodeDir, "-d");
        Assert.Contains("PASS  identity", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("Warning (high-availability): Register a second node", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stopped_service_is_named_first()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var nodeDir = await _nodes.StartAsync(server, "diag-ir", "node-a");
        _nodes.Stop("node-a");

        AssertFirstFailure(await DiagnoseAsync(nodeDir), "service", "service stopped: no ferry-node is running on ");
    }

    [Fact]
    public async Task A_server_name_that_does_not_resolve_is_named_DNS()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var nodeDir = await _nodes.StartAsync(server, "diag-ir", "node-a");
        // The server's name stops resolving (its DNS record removed): the node's identity names a host nobody knows.
        _nodes.Stop("node-a");
        PointIdentityAt(nodeDir, $"http://ferry-server.invalid:{server.Port}");
        _nodes.Restart("node-a");
        await WaitForServiceAsync(nodeDir);

        AssertFirstFailure(await DiagnoseAsync(nodeDir), "dns", "DNS: cannot resolve 'ferry-server.invalid'");
    }

    [Fact]
    public async Task A_closed_port_is_named_refused_with_host_and_port()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var nodeDir = await _nodes.StartAsync(server, "diag-ir", "node-a");
        server.Kill();

        AssertFirstFailure(await DiagnoseAsync(nodeDir), "tcp", $"refused: 127.0.0.1:{server.Port} refused the connection");
    }

    [Fact]
    public async Task A_server_certificate_this_machine_does_not_trust_is_named_with_its_reason()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var nodeDir = await _nodes.StartAsync(server, "diag-ir", "node-a");
        // A TLS endpoint with a self-signed certificate, as a server put behind TLS with a certificate of a private CA would be.
        using var tls = new SelfSignedTlsListener();
        _nodes.Stop("node-a");
        PointIdentityAt(nodeDir, $"https://127.0.0.1:{tls.Port}");
        _nodes.Restart("node-a");
        await WaitForServiceAsync(nodeDir);

        var check = AssertFirstFailure(await DiagnoseAsync(nodeDir), "tls", "certificate problem: the server's certificate (CN=ferry-test-untrusted) is not trusted by this machine");
        Assert.Contains("UntrustedRoot", check["evidence"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_deleted_on_the_server_is_named_node_removed()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var nodeDir = await _nodes.StartAsync(server, "diag-ir", "node-a");
        Assert.Equal(0, (await server.FerryAsync("ir", "node", "delete", "--name", "diag-ir", "--node-name", "node-a")).ExitCode);

        // Whether or not the running node has heard it yet, the cause is the same.
        AssertFirstFailure(await DiagnoseAsync(nodeDir), "identity", "node removed: ");
    }

    [Fact]
    public async Task A_wiped_node_registering_again_with_a_key_regenerated_since_is_named_key_rotated()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        await server.FerryJsonAsync("ir", "create", "--name", "diag-ir");
        var oldKey = (await server.FerryJsonAsync("ir", "list-auth-key", "--name", "diag-ir"))["authKey1"]!.GetValue<string>();
        Assert.Equal(0, (await server.FerryAsync("ir", "regenerate-auth-key", "--name", "diag-ir", "--key-name", "authKey1")).ExitCode);
        // A machine rebuilt from scratch, its service running and waiting, registered with the key written down before the rotation.
        var nodeDir = _dirs.Sub("node-a");
        var registered = await Commands.DmgcmdAsync(nodeDir, "-rn", oldKey, "node-a");
        Assert.NotEqual(0, registered.ExitCode);
        Assert.DoesNotContain(oldKey, await File.ReadAllTextAsync(Path.Combine(nodeDir, "last-registration.json")), StringComparison.Ordinal);
        _nodes.Restart("node-a");
        await WaitForServiceAsync(nodeDir);

        AssertFirstFailure(await DiagnoseAsync(nodeDir), "identity", "key rotated: not registered; the last registration");
        // Both event logs have the refusal: the node's (written by dmgcmd, no service running then) and the server's.
        Assert.StartsWith($"The server at http://127.0.0.1:{server.Port} refused to register this node: ", Assert.Single(EventLog.Messages(nodeDir, 1006)),
            StringComparison.Ordinal);
        Assert.StartsWith("Refused to register node node-a from ", Assert.Single(EventLog.Messages(server.DataDir, 2102)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_bound_to_another_runtime_than_the_one_meant_is_named_with_the_runtime_it_is_bound_to()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        await server.FerryJsonAsync("ir", "create", "--name", "sales-ir");
        var nodeDir = await _nodes.StartAsync(server, "hr-ir", "node-a");

        AssertFirstFailure(await DiagnoseAsync(nodeDir, null, "--runtime", "sales-ir"), "identity",
            "bound to runtime hr-ir of factory default, not runtime sales-ir of factory default");
    }

    [Fact]
    public async Task A_node_older_than_the_server_accepts_is_named_version_expired()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"), "--minimum-node-version", "9.0.0");
        var nodeDir = await _nodes.StartAsync(server, "diag-ir", "node-a", expectedState: "Limited");

        AssertFirstFailure(await DiagnoseAsync(nodeDir), "version", "version expired: version 0.1.0 is older than 9.0.0");
        // The node's event log says so too, once, from what its heartbeats are answered.
        Assert.StartsWith("Version expired: version 0.1.0 is older than 9.0.0", await EventLog.WaitForAsync(nodeDir, 1005), StringComparison.Ordinal);
        Assert.Single(EventLog.Messages(nodeDir, 1005));
    }

    [Fact]
    public async Task A_clock_ten_minutes_ahead_is_named_clock_skew()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var nodeDir = await _nodes.StartAsync(server, "diag-ir", "node-a");

        // dmgcmd runs on the same host as the node, so its clock is the host's: moved ten minutes ahead.
        AssertFirstFailure(await DiagnoseAsync(nodeDir, Clocks.Moved("+10m")), "clock", "clock skew: the node's clock is ");
        // The server refused the skewed call (dmgcmd's self-check) and its event log names the node and why.
        Assert.StartsWith("Refused a call of node node-a: clock skew: the node's clock is ", await EventLog.WaitForAsync(server.DataDir, 2101),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_full_disk_under_the_data_dir_is_named_disk_full()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        // The node's data dir on a 64 MB file system (tmpfs), far below what a node needs.
        var nodeDir = Directory.CreateDirectory(_dirs.Sub("small-disk")).FullName;
        await Commands.RunAsRootAsync("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", nodeDir);
        try
        {
            await _nodes.StartAsync(server, "diag-ir", "small-disk");
            AssertFirstFailure(await DiagnoseAsync(nodeDir), "disk", "disk full: ");
        }
        finally
        {
            _nodes.Dispose();
            await Commands.RunAsRootAsync("umount", nodeDir);
        }
    }

    /// <summary>Rewrites where the node's identity says its server is (as a DNS change or a move would leave it).</summary>
    private static void PointIdentityAt(string nodeDir, string serverUrl)
    {
        var file = Path.Combine(nodeDir, "identity.json");
        var identity = JsonNode.Parse(File.ReadAllText(file))!;
        identity["serverUrl"] = serverUrl;
        File.WriteAllText(file, identity.ToJsonString());
    }

    private static Task<TimeSpan> WaitForServiceAsync(string nodeDir) => Commands.EventuallyAsync(async () =>
    {
        var status = await Commands.DmgcmdAsync(nodeDir, "-Status");
        return (status.Stdout.Contains("Service:         running", StringComparison.Ordinal), status.Stdout);
    }, TimeSpan.FromSeconds(30), "the node service running");

    public void Dispose()
    {
        _nodes.Dispose();
        _dirs.Dispose();
    }

    /// <summary>A TLS endpoint on loopback whose certificate is self-signed: a real handshake that a client trusting the system's CAs refuses.</summary>
    private sealed class SelfSignedTlsListener : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly X509Certificate2 _certificate;
        private readonly CancellationTokenSource _stop = new();

        public SelfSignedTlsListener()
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=ferry-test-untrusted", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            _certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
            _listener.Start();
            _ = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = Task.Run(async () =>
                    {
                        using (client)
                        await using (var ssl = new SslStream(client.GetStream()))
                        {
                            try { await ssl.AuthenticateAsServerAsync(_certificate); }
                            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException) { /* the client refused it */ }
                        }
                    });
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _certificate.Dispose();
            _stop.Dispose();
        }
    }
}
