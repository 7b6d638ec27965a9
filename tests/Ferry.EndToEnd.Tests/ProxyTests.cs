using System.Text.Json.Nodes;
using Ferry.EndToEnd.Tests.Harness;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// The node's proxy setting against a real proxy (tinyproxy, Debian's package) on loopback: the node's calls to its
/// control plane go through it; with the proxy down the node says "proxy unreachable"; with wrong credentials "proxy
/// authentication required (407)"; and a new setting takes effect in the running process.
/// </summary>
public sealed class ProxyTests : IDisposable
{
    private readonly TempDir _dirs = new();
    private readonly NodeFleet _nodes;

    public ProxyTests() => _nodes = new NodeFleet(_dirs);

    [Fact]
    public async Task A_node_set_to_a_proxy_talks_to_its_control_plane_through_it_and_names_the_proxy_when_it_is_down()
    {
        using var proxy = new TinyProxy();
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var nodeDir = await _nodes.StartAsync(server, "proxy-ir", "node-a", beforeStart: async dir =>
        {
            var set = await Commands.DmgcmdAsync(dir, "-SetProxy", proxy.Address);
            Assert.True(set.ExitCode == 0, set.ToString());
        });

        Assert.Contains("/node/v1/heartbeat", proxy.Log, StringComparison.Ordinal); // the heartbeats went through the proxy
        await Commands.EventuallyAsync(async () =>
        {
            var relay = JsonNode.Parse((await Commands.RunAsync(Binaries.DmgcmdDll, ["-cc", "--json", "--data-dir", nodeDir], null)).Stdout)!["checks"]!.AsArray()
                .Single(c => c!["name"]!.GetValue<string>() == "relay")!;
            // A WebSocket goes through an HTTP proxy as a CONNECT tunnel to the server.
            return (relay["status"]!.GetValue<string>() == "pass" && proxy.Log.Contains($"CONNECT 127.0.0.1:{server.Port} ", StringComparison.Ordinal),
                relay.ToJsonString());
        }, TimeSpan.FromSeconds(30), "the relay connected, through the proxy too");
        Assert.Equal($"custom proxy http://{proxy.Address}", (await Commands.DmgcmdAsync(nodeDir, "-GetProxy")).Stdout.Trim());
        var healthy = await Commands.RunAsync(Binaries.DmgcmdDll, ["-Diagnose", "--json", "--data-dir", nodeDir], null);
        var proxyCheck = JsonNode.Parse(healthy.Stdout)!["checks"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "proxy")!;
        Assert.StartsWith($"through the proxy {proxy.Address}", proxyCheck["evidence"]!.GetValue<string>(), StringComparison.Ordinal);

        proxy.Stop();
        await Commands.EventuallyAsync(async () =>
        {
            var status = await Commands.DmgcmdAsync(nodeDir, "-Status");
            return (status.Stdout.Contains($"proxy unreachable: cannot connect to the proxy {proxy.Address}", StringComparison.Ordinal), status.Stdout);
        }, TimeSpan.FromSeconds(30), "the node naming the proxy as what it cannot reach");
        var diagnosis = JsonNode.Parse((await Commands.RunAsync(Binaries.DmgcmdDll, ["-Diagnose", "--json", "--data-dir", nodeDir], null)).Stdout)!;
        Assert.Equal("tcp", diagnosis["firstFailure"]!.GetValue<string>());
        Assert.StartsWith("proxy unreachable: refused: " + proxy.Address, diagnosis["checks"]![2]!["evidence"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_proxy_credentials_are_named_407_and_the_right_ones_take_effect_without_restarting_the_node()
    {
        using var proxy = new TinyProxy(("ferry", "s3cret-proxy"));
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var nodeDir = await _nodes.StartAsync(server, "proxy-ir", "node-a", expectedState: null, beforeStart: async dir =>
            Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-SetProxy", proxy.Address, "ferry", "wrong-password")).ExitCode));

        await Commands.EventuallyAsync(async () =>
        {
            var status = await Commands.DmgcmdAsync(nodeDir, "-Status");
            return (status.Stdout.Contains("proxy authentication required (407)", StringComparison.Ordinal), status.Stdout);
        }, TimeSpan.FromSeconds(30), "the node naming the proxy's refusal");
        var diagnosis = JsonNode.Parse((await Commands.RunAsync(Binaries.DmgcmdDll, ["-Diagnose", "--json", "--data-dir", nodeDir], null)).Stdout)!;
        Assert.Equal("proxy", diagnosis["firstFailure"]!.GetValue<string>());
        Assert.StartsWith("proxy authentication required (407)", diagnosis["checks"]![4]!["evidence"]!.GetValue<string>(), StringComparison.Ordinal);

        // The right password, given while the node runs: the same process connects through the proxy.
        var pid = (await Commands.DmgcmdAsync(nodeDir, "-Status")).Stdout;
        var set = await Commands.RunAsync(Binaries.DmgcmdDll, ["-SetProxy", proxy.Address, "ferry", "--data-dir", nodeDir],
            new Dictionary<string, string> { ["FERRY_PROXY_PASSWORD"] = "s3cret-proxy" });
        Assert.True(set.ExitCode == 0, set.ToString());
        await Commands.EventuallyAsync(async () =>
        {
            var status = await server.StatusAsync("proxy-ir");
            return (status.Nodes["node-a"] == "Online", FerryServer.Describe(status));
        }, TimeSpan.FromSeconds(30), "node-a Online through the proxy once its password is right");
        Assert.Contains(PidLine(pid), (await Commands.DmgcmdAsync(nodeDir, "-Status")).Stdout, StringComparison.Ordinal);

        // The password is kept encrypted and never shown.
        Assert.DoesNotContain("s3cret-proxy", await File.ReadAllTextAsync(Path.Combine(nodeDir, "settings.json")), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-proxy", (await Commands.DmgcmdAsync(nodeDir, "-GetProxy")).Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-proxy", _nodes.OutputOf("node-a"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_proxy_sent_through_the_control_plane_is_tried_then_kept_and_one_that_does_not_work_is_not_kept_and_says_why()
    {
        using var proxy = new TinyProxy(("ferry", "s3cret-proxy"));
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var nodeDir = await _nodes.StartAsync(server, "proxy-ir", "node-a"); // connected directly

        var sent = await server.FerryAsync("ir", "node", "set-proxy", "--name", "proxy-ir", "--node-name", "node-a", "--proxy", proxy.Address,
            "--proxy-user", "ferry", "--proxy-password", "s3cret-proxy");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        Assert.DoesNotContain("s3cret-proxy", sent.Stdout, StringComparison.Ordinal);
        await Commands.EventuallyAsync(async () =>
        {
            var shown = (await Commands.DmgcmdAsync(nodeDir, "-GetProxy")).Stdout.Trim();
            return (shown == $"custom proxy http://{proxy.Address}, user ferry (password stored encrypted)" && proxy.Log.Contains("/node/v1/heartbeat", StringComparison.Ordinal), shown);
        }, TimeSpan.FromSeconds(30), "the node on the proxy the control plane sent, its heartbeats through it");
        Assert.DoesNotContain("s3cret-proxy", await File.ReadAllTextAsync(Path.Combine(nodeDir, "settings.json")), StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(server.DataDir, "*.db*"))
            Assert.DoesNotContain("s3cret-proxy", System.Text.Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file)), StringComparison.Ordinal);

        // A proxy nobody runs: the node tries it, keeps the path it has, and the control plane hears why.
        var dead = $"127.0.0.1:{FerryServer.FreePort()}";
        Assert.Equal(0, (await server.FerryAsync("ir", "node", "set-proxy", "--name", "proxy-ir", "--node-name", "node-a", "--proxy", dead)).ExitCode);
        await Commands.EventuallyAsync(async () =>
        {
            var node = (await server.FerryJsonAsync("ir", "get-status", "--name", "proxy-ir"))["properties"]!["typeProperties"]!["nodes"]![0]!;
            var error = node["lastError"]?.GetValue<string>() ?? "";
            return (error.Contains("was not kept: proxy unreachable", StringComparison.Ordinal) && error.Contains(dead, StringComparison.Ordinal), error);
        }, TimeSpan.FromSeconds(30), "the refused setting named on the control plane");
        Assert.StartsWith($"custom proxy http://{proxy.Address}", (await Commands.DmgcmdAsync(nodeDir, "-GetProxy")).Stdout, StringComparison.Ordinal);
        Assert.Equal("Online", (await server.StatusAsync("proxy-ir")).Nodes["node-a"]);
        var bad = await server.FerryAsync("ir", "node", "set-proxy", "--name", "proxy-ir", "--node-name", "node-a", "--proxy", "proxy-without-port");
        Assert.Contains("is not none, system or host:port", bad.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HTTP_data_stores_go_through_the_nodes_proxy_only_when_its_user_lets_them()
    {
        using var proxy = new TinyProxy();
        using var source = new WebServer("127.0.0.1", _ => (200, null, "id,label\n1,one\n2,two\n"));
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var folder = Directory.CreateDirectory(_dirs.Sub("files")).FullName;
        var nodeDir = await _nodes.StartAsync(server, "proxy-ir", "node-a", beforeStart: async dir =>
        {
            Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-elma")).ExitCode); // the HTTP source runs on this machine
            Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-alf", folder)).ExitCode);
            Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-SetProxy", proxy.Address)).ExitCode);
        });
        await server.CreateAsync("linked-service", "web", $$"""
            {"properties": {"type": "HttpServer", "connectVia": {"referenceName": "proxy-ir", "type": "IntegrationRuntimeReference"},
              "typeProperties": {"url": "{{source.Url}}", "authenticationType": "Anonymous"} } }
            """);
        await server.CreateAsync("linked-service", "share", $$"""
            {"properties": {"type": "FileServer", "connectVia": {"referenceName": "proxy-ir", "type": "IntegrationRuntimeReference"}, "typeProperties": {"host": "{{folder}}"} } }
            """);
        await server.CreateAsync("dataset", "remote", """
            {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "web", "type": "LinkedServiceReference"},
              "typeProperties": {"location": {"type": "HttpServerLocation", "relativeUrl": "data.csv"}, "firstRowAsHeader": true} } }
            """);
        await server.CreateAsync("dataset", "local", """
            {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
              "typeProperties": {"location": {"type": "FileServerLocation", "fileName": "data.csv"}, "firstRowAsHeader": true} } }
            """);
        await server.CreateAsync("pipeline", "fetch", """
            {"properties": {"activities": [{"name": "Fetch", "type": "Copy", "inputs": [{"referenceName": "remote", "type": "DatasetReference"}],
              "outputs": [{"referenceName": "local", "type": "DatasetReference"}],
              "typeProperties": {"source": {"type": "DelimitedTextSource"}, "sink": {"type": "DelimitedTextSink"}}}]}}
            """);
        var fetched = $"GET {source.Url}data.csv";

        async Task FetchAsync()
        {
            var runId = (await server.FerryJsonAsync("pipeline", "run", "--name", "fetch"))["runId"]!.GetValue<string>();
            await Commands.EventuallyAsync(async () =>
            {
                var status = (await server.FerryJsonAsync("run", "show", "--run-id", runId))["status"]!.GetValue<string>();
                return (status is "Succeeded" or "Failed", status);
            }, TimeSpan.FromSeconds(60), "the fetch ending");
            var activity = (await server.FerryJsonAsync("run", "activities", "--run-id", runId))["value"]![0]!;
            Assert.True(activity["status"]!.GetValue<string>() == "Succeeded", activity.ToJsonString());
        }

        await FetchAsync(); // the node's own calls go through the proxy, the data store's do not (as in the reference)
        Assert.DoesNotContain(fetched, proxy.Log, StringComparison.Ordinal);

        var changes = EventLog.Messages(nodeDir, 3603).Count;
        Assert.Equal(0, (await Commands.DmgcmdAsync(nodeDir, "-SetProxy", proxy.Address, "--http-data-stores")).ExitCode);
        Assert.EndsWith("HTTP data stores go through it too", (await Commands.DmgcmdAsync(nodeDir, "-GetProxy")).Stdout.Trim(), StringComparison.Ordinal);
        // The running node reads its setting again within a second of its next call, and says so in its event log.
        Assert.EndsWith("HTTP data stores go through it too", await EventLog.WaitForAsync(nodeDir, 3603, changes), StringComparison.Ordinal);
        await FetchAsync();
        Assert.Contains(fetched, proxy.Log, StringComparison.Ordinal);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(folder, "data.csv")).Length);
    }

    [Fact]
    public async Task A_data_store_redirecting_to_this_machine_is_refused_both_directly_and_through_the_proxy()
    {
        // The node in a network of its own, so a server on the host is another machine to it; the host's loopback
        // holds what must stay out of reach: reached through the proxy, "localhost" is the proxy's machine.
        using var ns = await NetworkNamespace.CreateAsync();
        using var proxy = new TinyProxy(listen: ns.HostAddress, allow: ns.InsideAddress);
        using var secret = new WebServer("127.0.0.1", _ => (200, null, "secret"));
        var secretPort = new Uri(secret.Url).Port;
        using var origin = new WebServer(ns.HostAddress, path => path == "/to-self" ? (302, $"http://localhost:{secretPort}/secret", "") : (200, null, "hello"));
        var port = FerryServer.FreePort();
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"), port, "--urls", $"http://127.0.0.1:{port};http://{ns.HostAddress}:{port}",
            "--public-url", $"http://{ns.HostAddress}:{port}");
        var nodeDir = await _nodes.StartAsync(server, "redirect-ir", "node-a", launcher: ns.Launcher);
        foreach (var (name, path) in new[] { ("plain", "plain"), ("to-self", "to-self") })
        {
            await server.CreateAsync("linked-service", name, $$"""
                {"properties": {"type": "HttpServer", "connectVia": {"referenceName": "redirect-ir", "type": "IntegrationRuntimeReference"},
                  "typeProperties": {"url": "{{origin.Url}}{{path}}", "authenticationType": "Anonymous"} } }
                """);
        }

        async Task AssertRefusedAsync()
        {
            Assert.Contains("answered 200", (await server.FerryJsonAsync("linked-service", "test-connection", "--name", "plain"))["message"]!.GetValue<string>(),
                StringComparison.Ordinal); // the origin itself is another machine: reached
            var refused = await server.FerryAsync("linked-service", "test-connection", "--name", "to-self");
            Assert.True(refused.ExitCode == 1, refused.ToString());
            Assert.Contains("LocalMachineAccessDisabled", refused.Stderr, StringComparison.Ordinal);
            Assert.Contains("'localhost' is this machine", refused.Stderr, StringComparison.Ordinal);
            Assert.Empty(secret.Requests);
        }

        await AssertRefusedAsync(); // direct: judged by the address the redirect's connection would be made to

        var changes = EventLog.Messages(nodeDir, 3603).Count;
        Assert.Equal(0, (await Commands.DmgcmdAsync(nodeDir, "-SetProxy", proxy.Address, "--http-data-stores")).ExitCode);
        await EventLog.WaitForAsync(nodeDir, 3603, changes);
        await AssertRefusedAsync(); // through the proxy: the redirect's host judged by its name before it is sent
        Assert.Contains($"GET {origin.Url}to-self", proxy.Log, StringComparison.Ordinal);
        Assert.DoesNotContain($"localhost:{secretPort}", proxy.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_proxy_setting_that_is_not_a_proxy_is_refused_and_changes_nothing()
    {
        var nodeDir = _dirs.Sub("node-a");
        var refused = await Commands.DmgcmdAsync(nodeDir, "-sp", "proxy.corp.local");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("is not a proxy", refused.Stderr + refused.Stdout, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", refused.Stderr + refused.Stdout, StringComparison.Ordinal);
        Assert.StartsWith("system proxy", (await Commands.DmgcmdAsync(nodeDir, "-gp")).Stdout, StringComparison.Ordinal);
        Assert.Equal(0, (await Commands.DmgcmdAsync(nodeDir, "-sp", "none")).ExitCode);
        Assert.StartsWith("no proxy", (await Commands.DmgcmdAsync(nodeDir, "-gp")).Stdout, StringComparison.Ordinal);
    }

    private static string PidLine(string status) =>
        status.Split('\n').Single(l => l.StartsWith("Service:", StringComparison.Ordinal)).Trim();

    public void Dispose()
    {
        _nodes.Dispose();
        _dirs.Dispose();
    }
}
