using System.Text.Json.Nodes;
using Ferry.EndToEnd.Tests.Harness;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// The foundation's story with real processes: a server, two nodes with their own data dirs, and what the
/// control plane shows when nodes crash, stop, come back, lose their key or get removed.
/// </summary>
public sealed class NodeLifecycleTests : IDisposable
{
    private readonly TempDir _dirs = new();
    private readonly List<RunningProcess> _nodes = [];

    [Fact]
    public async Task Status_follows_nodes_through_crash_stop_restart_key_rotation_limit_and_removal()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        await server.FerryJsonAsync("ir", "create", "--name", "ir1");
        var keys = await server.FerryJsonAsync("ir", "list-auth-key", "--name", "ir1");
        var key1 = keys["authKey1"]!.GetValue<string>();
        string nodeA = _dirs.Sub("node-a"), nodeB = _dirs.Sub("node-b");

        // Register two nodes with dmgcmd and start them: both Online, the runtime Online.
        Assert.Equal(0, (await Commands.DmgcmdAsync(nodeA, "-RegisterNewNode", key1, "node-a")).ExitCode);
        Assert.Equal(0, (await Commands.DmgcmdAsync(nodeB, "-rn", key1, "node-b")).ExitCode);
        var processA = StartNode(nodeA);
        Assert.Equal(0, (await Commands.DmgcmdAsync(nodeB, "-start")).ExitCode);
        await WaitForAsync(server, "ir1", "Online", ("node-a", "Online"), ("node-b", "Online"), TimeSpan.FromSeconds(30));
        Assert.Equal("Connected", (await Commands.DmgcmdAsync(nodeA, "-cgc")).Stdout.Trim());
        // node-a registered first and brought the runtime's credential key; node-b got it from node-a through the server.
        var status = await server.FerryJsonAsync("ir", "get-status", "--name", "ir1");
        Assert.All(status["properties"]!["typeProperties"]!["nodes"]!.AsArray(),
            n => Assert.Equal("True", n!["capabilities"]!["credentialInSync"]!.GetValue<string>()));
        Assert.True(File.Exists(Path.Combine(nodeB, "credentials.json")), "node-b holds the credential key");

        // kill -9 node-a: Offline, runtime Limited, within the offline threshold plus one heartbeat (and the one-second sweep).
        processA.KillHard();
        var budget = FerryServer.OfflineAfter + TimeSpan.FromSeconds(FerryServer.HeartbeatSeconds) + TimeSpan.FromSeconds(2);
        await WaitForAsync(server, "ir1", "Limited", ("node-a", "Offline"), ("node-b", "Online"), budget);

        // Stop node-b gracefully: Offline at once, and the runtime Offline.
        var stop = await Commands.DmgcmdAsync(nodeB, "-Stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        await WaitForAsync(server, "ir1", "Offline", ("node-a", "Offline"), ("node-b", "Offline"), TimeSpan.FromSeconds(2));

        // Start both: Online again with no other action.
        StartNode(nodeA);
        Assert.Equal(0, (await Commands.DmgcmdAsync(nodeB, "-s")).ExitCode);
        await WaitForAsync(server, "ir1", "Online", ("node-a", "Online"), ("node-b", "Online"), TimeSpan.FromSeconds(30));

        // Regenerate authKey1: the old key cannot register a new node, the registered nodes stay Online.
        await server.FerryJsonAsync("ir", "regenerate-auth-key", "--name", "ir1", "--key-name", "authKey1");
        var refused = await Commands.DmgcmdAsync(_dirs.Sub("node-c"), "-RegisterNewNode", key1, "node-c");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("was regenerated", refused.Stderr, StringComparison.Ordinal);
        var rotatedAt = DateTimeOffset.UtcNow;
        await Commands.EventuallyAsync(() => Task.FromResult((LastHeartbeat(nodeA) > rotatedAt && LastHeartbeat(nodeB) > rotatedAt, "")),
            TimeSpan.FromSeconds(FerryServer.HeartbeatSeconds * 3), "both nodes heartbeat after the rotation");
        var afterRotation = await server.StatusAsync("ir1");
        Assert.True(afterRotation.State == "Online", FerryServer.Describe(afterRotation));

        // The new key registers up to four nodes; the fifth is refused with the limit named.
        var newKey = (await server.FerryJsonAsync("ir", "list-auth-key", "--name", "ir1"))["authKey1"]!.GetValue<string>();
        Assert.Equal(0, (await Commands.DmgcmdAsync(_dirs.Sub("node-c"), "-rn", newKey, "node-c")).ExitCode);
        Assert.Equal(0, (await Commands.DmgcmdAsync(_dirs.Sub("node-d"), "-rn", newKey, "node-d")).ExitCode);
        var fifth = await Commands.DmgcmdAsync(_dirs.Sub("node-e"), "-rn", newKey, "node-e");
        Assert.NotEqual(0, fifth.ExitCode);
        Assert.Contains("already has 4 nodes", fifth.Stderr, StringComparison.Ordinal);

        // Delete node-a on the server: the node is told on its next call and shows NeedRegistration.
        Assert.Equal(0, (await server.FerryAsync("ir", "node", "delete", "--name", "ir1", "--node-name", "node-a")).ExitCode);
        await Commands.EventuallyAsync(async () =>
        {
            var cgc = await Commands.DmgcmdAsync(nodeA, "-cgc");
            return (cgc.Stdout.Trim() == "NeedRegistration", cgc.ToString());
        }, TimeSpan.FromSeconds(FerryServer.HeartbeatSeconds * 3), "node-a shows NeedRegistration after its removal");
        var removed = await Commands.DmgcmdAsync(nodeA, "-Status");
        Assert.Contains("removed from runtime ir1", removed.Stdout, StringComparison.Ordinal);

        // Every change was recorded with its cause.
        var history = (await server.FerryJsonAsync("ir", "status-history", "--name", "ir1", "--limit", "200"))["value"]!.AsArray()
            .Select(e => $"{e!["nodeName"]}:{e["status"]}:{e["cause"]}").ToList();
        Assert.Contains(history, e => e.StartsWith("node-a:Offline:heartbeat lost", StringComparison.Ordinal));
        Assert.Contains(history, e => e.StartsWith("node-b:Offline:stopped gracefully", StringComparison.Ordinal));
        Assert.Contains(history, e => e.StartsWith("node-a:NeedRegistration:removed", StringComparison.Ordinal));
        Assert.Contains(history, e => e.StartsWith(":Limited:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Nodes_come_back_on_their_own_when_the_server_returns()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        await server.FerryJsonAsync("ir", "create", "--name", "ir1");
        var key = (await server.FerryJsonAsync("ir", "list-auth-key", "--name", "ir1"))["authKey2"]!.GetValue<string>();
        var nodeDir = _dirs.Sub("node");
        Assert.Equal(0, (await Commands.DmgcmdAsync(nodeDir, "-rn", key, "node-a")).ExitCode);
        StartNode(nodeDir);
        await WaitForAsync(server, "ir1", "Online", ("node-a", "Online"), ("node-a", "Online"), TimeSpan.FromSeconds(30));

        server.Kill();
        await Commands.EventuallyAsync(async () =>
        {
            var s = await Commands.DmgcmdAsync(nodeDir, "-Status");
            return (s.Stdout.Contains("Disconnected", StringComparison.Ordinal) && s.Stdout.Contains("cannot reach the server", StringComparison.Ordinal), s.Stdout);
        }, TimeSpan.FromSeconds(20), "the node shows it lost the server, and why");

        // Stay away longer than the offline threshold, so that the outage must show in the node's history.
        await Commands.EventuallyAsync(() => Task.FromResult((DateTimeOffset.UtcNow - LastHeartbeat(nodeDir) > FerryServer.OfflineAfter + TimeSpan.FromSeconds(1), "")),
            TimeSpan.FromSeconds(20), "the node has been away longer than the offline threshold");
        await server.StartAgainAsync();

        // Backoff is capped at 60 s with full jitter, so the node is back within a minute at worst.
        await WaitForAsync(server, "ir1", "Online", ("node-a", "Online"), ("node-a", "Online"), TimeSpan.FromSeconds(70));
        await Commands.EventuallyAsync(async () =>
        {
            var cgc = await Commands.DmgcmdAsync(nodeDir, "-cgc");
            return (cgc.Stdout.Trim() == "Connected", cgc.ToString());
        }, TimeSpan.FromSeconds(10), "the node says it is connected again");
        var history = (await server.FerryJsonAsync("ir", "status-history", "--name", "ir1"))["value"]!.AsArray();
        Assert.Contains(history, e => e!["nodeName"]?.GetValue<string>() == "node-a" && e["status"]!.GetValue<string>() == "Offline"
                                      && e["cause"]!.GetValue<string>().StartsWith("heartbeat lost", StringComparison.Ordinal));
        Assert.Contains(history, e => e!["nodeName"]?.GetValue<string>() == "node-a" && e["status"]!.GetValue<string>() == "Online"
                                      && e["cause"]!.GetValue<string>().Contains("cannot reach the server", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_node_moved_to_a_new_host_from_a_backup_comes_back_as_itself_with_its_credential_key()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        await server.FerryJsonAsync("ir", "create", "--name", "ir1");
        var key = (await server.FerryJsonAsync("ir", "list-auth-key", "--name", "ir1"))["authKey1"]!.GetValue<string>();
        string oldHost = _dirs.Sub("old-host"), newHost = _dirs.Sub("new-host"), backup = _dirs.Sub("node-a.backup");
        Assert.Equal(0, (await Commands.DmgcmdAsync(oldHost, "-rn", key, "node-a")).ExitCode);
        var oldNode = StartNode(oldHost);
        await WaitForAsync(server, "ir1", "Online", ("node-a", "Online"), ("node-a", "Online"), TimeSpan.FromSeconds(30));

        var generated = await Commands.DmgcmdAsync(oldHost, "-gbf", backup, "backup-password");
        oldNode.KillHard();
        var wrongPassword = await Commands.DmgcmdAsync(newHost, "-ibf", backup, "not-the-password");
        var imported = await Commands.DmgcmdAsync(newHost, "-ImportBackupFile", backup, "backup-password");
        StartNode(newHost);

        Assert.True(generated.ExitCode == 0, generated.ToString());
        Assert.NotEqual(0, wrongPassword.ExitCode);
        Assert.Contains("password is wrong", wrongPassword.Stderr, StringComparison.Ordinal);
        Assert.True(imported.ExitCode == 0, imported.ToString());
        await WaitForAsync(server, "ir1", "Online", ("node-a", "Online"), ("node-a", "Online"), TimeSpan.FromSeconds(30));
        var status = await server.FerryJsonAsync("ir", "get-status", "--name", "ir1");
        var node = status["properties"]!["typeProperties"]!["nodes"]!.AsArray().Single()!;
        Assert.Equal("True", node["capabilities"]!["credentialInSync"]!.GetValue<string>());
        Assert.Equal(
            JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(oldHost, "credentials.json")))!["publicKey"]!.GetValue<string>(),
            JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(newHost, "credentials.json")))!["publicKey"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_node_whose_credential_file_was_damaged_gets_the_key_again_from_another_node()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        await server.FerryJsonAsync("ir", "create", "--name", "ir1");
        var key = (await server.FerryJsonAsync("ir", "list-auth-key", "--name", "ir1"))["authKey1"]!.GetValue<string>();
        string nodeA = _dirs.Sub("node-a"), nodeB = _dirs.Sub("node-b");
        Assert.Equal(0, (await Commands.DmgcmdAsync(nodeA, "-rn", key, "node-a")).ExitCode);
        Assert.Equal(0, (await Commands.DmgcmdAsync(nodeB, "-rn", key, "node-b")).ExitCode);
        StartNode(nodeA);
        var b = StartNode(nodeB);
        await WaitForAsync(server, "ir1", "Online", ("node-a", "Online"), ("node-b", "Online"), TimeSpan.FromSeconds(30));

        b.KillHard();
        await File.WriteAllTextAsync(Path.Combine(nodeB, "credentials.json"), "{ damaged");
        StartNode(nodeB);

        await WaitForAsync(server, "ir1", "Online", ("node-a", "Online"), ("node-b", "Online"), TimeSpan.FromSeconds(30));
        await Commands.EventuallyAsync(() => Task.FromResult((SafeRead(Path.Combine(nodeB, "credentials.json")).Contains("publicKey", StringComparison.Ordinal), "")),
            TimeSpan.FromSeconds(10), "node-b wrote its credential key back");
        var history = (await server.FerryJsonAsync("ir", "status-history", "--name", "ir1", "--limit", "100"))["value"]!.AsArray();
        // Limited once when it joined, and once more while it was without its key after the damage.
        Assert.True(history.Count(e => e!["nodeName"]?.GetValue<string>() == "node-b" && e["status"]!.GetValue<string>() == "Limited") >= 2,
            string.Join("\n", history.Select(e => e!.ToJsonString())));
    }

    private static string SafeRead(string path)
    {
        try { return File.ReadAllText(path); } catch (IOException) { return ""; }
    }

    [Fact]
    public async Task A_second_node_on_the_same_data_dir_refuses_to_start_and_says_why()
    {
        var nodeDir = _dirs.Sub("node");
        StartNode(nodeDir);
        await Commands.EventuallyAsync(async () =>
        {
            var s = await Commands.DmgcmdAsync(nodeDir, "-Status");
            return (s.Stdout.Contains("running (pid", StringComparison.Ordinal), s.Stdout);
        }, TimeSpan.FromSeconds(20), "the first node runs");

        using var second = RunningProcess.Start(Binaries.NodeDll, ["--data-dir", nodeDir]);
        var exit = await second.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.NotEqual(0, exit);
        Assert.Contains("already running with data dir", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dmgcmd_starts_restarts_and_stops_the_node_process()
    {
        var nodeDir = _dirs.Sub("node");

        var start = await Commands.DmgcmdAsync(nodeDir, "-Start");
        var firstPid = await File.ReadAllTextAsync(Path.Combine(nodeDir, "node.pid"));
        var restart = await Commands.DmgcmdAsync(nodeDir, "-r");
        var secondPid = await File.ReadAllTextAsync(Path.Combine(nodeDir, "node.pid"));
        var stop = await Commands.DmgcmdAsync(nodeDir, "-t");
        var status = await Commands.DmgcmdAsync(nodeDir, "-Status");

        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.True(restart.ExitCode == 0, restart.ToString());
        Assert.NotEqual(firstPid, secondPid);
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains("not running", status.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unregistered_node_says_it_needs_registration()
    {
        var nodeDir = _dirs.Sub("node");
        StartNode(nodeDir);

        await Commands.EventuallyAsync(async () =>
        {
            var cgc = await Commands.DmgcmdAsync(nodeDir, "-cgc");
            return (cgc.Stdout.Trim() == "NeedRegistration" && cgc.ExitCode != 0, cgc.ToString());
        }, TimeSpan.FromSeconds(20), "-cgc prints NeedRegistration and fails");
    }

    /// <summary>The node's own record of its last successful heartbeat (status.json in its data dir).</summary>
    private static DateTimeOffset LastHeartbeat(string dataDir)
    {
        try
        {
            var status = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dataDir, "status.json")));
            return status?["lastHeartbeat"]?.GetValue<DateTimeOffset>() ?? DateTimeOffset.MinValue;
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return DateTimeOffset.MinValue; // being rewritten right now; the next poll reads it
        }
    }

    private RunningProcess StartNode(string dataDir)
    {
        var node = RunningProcess.Start(Binaries.NodeDll, ["--data-dir", dataDir]);
        _nodes.Add(node);
        return node;
    }

    private static async Task WaitForAsync(FerryServer server, string runtime, string state, (string Node, string Status) a, (string Node, string Status) b, TimeSpan deadline)
    {
        await Commands.EventuallyAsync(async () =>
        {
            var s = await server.StatusAsync(runtime);
            var ok = s.State == state && s.Nodes.GetValueOrDefault(a.Node) == a.Status && s.Nodes.GetValueOrDefault(b.Node) == b.Status;
            return (ok, FerryServer.Describe(s));
        }, deadline, $"runtime {state} with {a.Node} {a.Status} and {b.Node} {b.Status}");
    }

    public void Dispose()
    {
        foreach (var node in _nodes)
            node.Dispose();
        // Nodes started with dmgcmd -Start run in their own session: stop them through their data dirs.
        foreach (var dir in Directory.GetDirectories(_dirs.Path))
        {
            var pidFile = Path.Combine(dir, "node.pid");
            if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile), out var pid))
            {
                try { System.Diagnostics.Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
            }
        }
        _dirs.Dispose();
    }
}
