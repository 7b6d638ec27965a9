using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ferry.EndToEnd.Tests.Harness;

namespace Ferry.EndToEnd.Tests;

/// <summary>The node's and the server's event logs, dmgcmd -Events over them, and dmgcmd -SendLogs to the control plane with secrets redacted.</summary>
public sealed partial class EventLogTests : IDisposable
{
    private readonly TempDir _dirs = new();
    private readonly NodeFleet _nodes;

    public EventLogTests() => _nodes = new NodeFleet(_dirs);

    [Fact]
    public async Task The_node_records_start_connection_loss_with_its_cause_and_stop_and_dmgcmd_Events_prints_them_since_a_time()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var nodeDir = await _nodes.StartAsync(server, "ev-ir", "node-a");
        server.Kill();
        await Commands.EventuallyAsync(() => Task.FromResult((EventIds(nodeDir).Contains(3002), string.Join(",", EventIds(nodeDir)))),
            TimeSpan.FromSeconds(30), "the lost connection in the node's event log");
        await server.StartAgainAsync();
        // Back when the node says so (the server may still count its last heartbeat from before the kill as recent).
        await Commands.EventuallyAsync(() => Task.FromResult((EventIds(nodeDir).LastIndexOf(3001) > EventIds(nodeDir).IndexOf(3002), string.Join(",", EventIds(nodeDir)))),
            TimeSpan.FromSeconds(60), "node-a connected again");
        Assert.Equal(0, (await Commands.DmgcmdAsync(nodeDir, "-Stop")).ExitCode);

        var events = await Commands.DmgcmdAsync(nodeDir, "-Events", "--since", "1h", "--json");
        var entries = events.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        var ids = entries.Select(e => e["id"]!.GetValue<int>()).ToList();
        Assert.True(ids.IndexOf(1003) == 0 && ids.IndexOf(1001) < ids.IndexOf(3001) && ids.IndexOf(3001) < ids.IndexOf(3002)
                    && ids.LastIndexOf(3001) > ids.IndexOf(3002) && ids[^1] == 1002, string.Join(",", ids)); // registered, started, connected, lost, connected again, stopping
        Assert.Equal($"Registered as node node-a of runtime default/ev-ir at http://127.0.0.1:{server.Port}",
            entries.First(e => e["id"]!.GetValue<int>() == 1003)["message"]!.GetValue<string>());
        var lost = entries.First(e => e["id"]!.GetValue<int>() == 3002);
        Assert.Contains($"cannot reach the server at http://127.0.0.1:{server.Port}", lost["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Warning", lost["level"]!.GetValue<string>());

        var text = await Commands.DmgcmdAsync(nodeDir, "-Events");
        Assert.Matches(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  Information  1001  ferry-node .* started with data dir", text.Stdout);
        var none = await Commands.DmgcmdAsync(nodeDir, "-Events", "--since", "2099-01-01T00:00");
        Assert.Equal("", none.Stdout);
        Assert.StartsWith("No events since ", none.Stderr, StringComparison.Ordinal);
        var bad = await Commands.DmgcmdAsync(nodeDir, "-Events", "--since", "yesterday-ish");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("neither a span (30m, 2h, 1d) nor a time", bad.Stderr + bad.Stdout, StringComparison.Ordinal);

        // The server keeps its own: the node's status changes with their causes.
        var serverEvents = await File.ReadAllTextAsync(Path.Combine(server.DataDir, "events.jsonl"));
        Assert.Contains("\"message\":\"Node node-a went Online: first heartbeat\"", serverEvents, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendLogs_stores_the_nodes_recent_logs_on_the_control_plane_with_secrets_redacted_under_the_id_it_prints()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var nodeDir = await _nodes.StartAsync(server, "ev-ir", "node-a");
        // A secret that found its way into the service log (a connection string someone pasted into a script's output).
        await File.AppendAllTextAsync(Path.Combine(nodeDir, "node.log"), "retrying with Host=db;Username=app;Password=hunter2-secret;Database=sales\n");

        var sent = await Commands.DmgcmdAsync(nodeDir, "-SendLogs");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        var id = SupportLogId().Match(sent.Stdout).Groups[1].Value;
        Assert.NotEmpty(id);

        var stored = await server.FerryJsonAsync("support-log", "show", "--id", id);
        Assert.Equal(("ev-ir", "node-a"), (stored["runtime"]!.GetValue<string>(), stored["node"]!.GetValue<string>()));
        var logs = stored["logs"]!.GetValue<string>();
        Assert.Contains("Connected to http://127.0.0.1:", logs, StringComparison.Ordinal);
        Assert.Contains("Password=***", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", logs, StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(server.DataDir, "*.db*"))
            Assert.DoesNotContain("hunter2-secret", Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file)), StringComparison.Ordinal);
        var missing = await server.FerryAsync("support-log", "show", "--id", "nope");
        Assert.Contains("There are no support logs 'nope'", missing.Stderr, StringComparison.Ordinal);
    }

    private static List<int> EventIds(string nodeDir) => EventLog.Ids(nodeDir);

    [GeneratedRegex(@"Support log id: (\S+)")]
    private static partial Regex SupportLogId();

    public void Dispose()
    {
        _nodes.Dispose();
        _dirs.Dispose();
    }
}
