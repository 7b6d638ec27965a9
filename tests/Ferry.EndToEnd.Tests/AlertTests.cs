using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Ferry.EndToEnd.Tests.Harness;

namespace Ferry.EndToEnd.Tests;

/// <summary>Alert rules on a real server with real nodes, delivered to a webhook receiver in the test.</summary>
public sealed class AlertTests : IDisposable
{
    private readonly TempDir _dirs = new();
    private readonly NodeFleet _nodes;

    public AlertTests() => _nodes = new NodeFleet(_dirs);

    [Fact]
    public async Task A_node_leaving_Online_is_posted_to_the_webhook_retried_until_delivered_and_the_webhook_token_stays_sealed()
    {
        using var receiver = new WebhookReceiver(failFirst: 1);
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        await _nodes.StartAsync(server, "al-ir", "node-a");
        await _nodes.StartAsync(server, "al-ir", "node-b", createRuntime: false);
        var created = await server.FerryAsync("alert", "create", "--name", "ops", "--runtime", "al-ir", "--webhook", receiver.Url + "hook/s3cret-token");
        Assert.True(created.ExitCode == 0, created.ToString());

        _nodes.Kill("node-a");

        var alerts = await receiver.WaitForAsync(a => a["node"]?.GetValue<string>() == "node-a", TimeSpan.FromSeconds(30));
        var alert = alerts.Last(a => a["node"]?.GetValue<string>() == "node-a");
        Assert.Equal(("ops", "leftOnline", "default", "al-ir", "Offline"), (alert["rule"]!.GetValue<string>(), alert["condition"]!.GetValue<string>(),
            alert["factory"]!.GetValue<string>(), alert["runtime"]!.GetValue<string>(), alert["status"]!.GetValue<string>()));
        Assert.Contains("heartbeat", alert["cause"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("/hook/s3cret-token", receiver.Paths[0]);
        // The runtime itself left Online too (Limited: one node of two), and is alerted on its own.
        await receiver.WaitForAsync(a => a["node"] is null && a["status"]?.GetValue<string>() == "Limited", TimeSpan.FromSeconds(30));
        // The first POST was answered 500; the same alert came again and was taken.
        Assert.True(receiver.Attempts >= 2, $"{receiver.Attempts} attempts");
        var shown = await server.FerryJsonAsync("alert", "show", "--name", "ops");
        Assert.Contains(shown["properties"]!["deliveries"]!.AsArray(), d => d!["status"]!.GetValue<string>() == "Delivered" && d["attempts"]!.GetValue<int>() == 2);

        // The webhook's URL is a secret of its own: never listed, never in the control plane's database.
        var listed = await server.FerryAsync("alert", "list");
        Assert.DoesNotContain("s3cret-token", listed.Stdout, StringComparison.Ordinal);
        Assert.Contains(receiver.Url.TrimEnd('/'), listed.Stdout, StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(server.DataDir, "*.db*"))
            Assert.DoesNotContain("s3cret-token", Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_silent_for_longer_than_the_rule_says_is_alerted_once_for_that_silence()
    {
        using var receiver = new WebhookReceiver();
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        await _nodes.StartAsync(server, "al-ir", "node-a");
        Assert.Equal(0, (await server.FerryAsync("alert", "create", "--name", "quiet", "--webhook", receiver.Url, "--silent-for", "3")).ExitCode);

        _nodes.Kill("node-a");

        var alerts = await receiver.WaitForAsync(a => a["condition"]?.GetValue<string>() == "silent", TimeSpan.FromSeconds(30));
        var alert = alerts.Single(a => a["condition"]?.GetValue<string>() == "silent");
        Assert.Equal(("quiet", "al-ir", "node-a"), (alert["rule"]!.GetValue<string>(), alert["runtime"]!.GetValue<string>(), alert["node"]!.GetValue<string>()));
        Assert.StartsWith("silent for ", alert["cause"]!.GetValue<string>(), StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(3)); // a while later, the same silence is not alerted again
        Assert.Single(receiver.Received, a => a["condition"]?.GetValue<string>() == "silent");
    }

    [Fact]
    public async Task A_rule_without_a_usable_webhook_or_threshold_is_refused_with_what_to_give()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var noUrl = await server.FerryAsync("alert", "create", "--name", "bad", "--webhook", "not a url");
        Assert.NotEqual(0, noUrl.ExitCode);
        Assert.Contains("webhook.url must be an absolute http:// or https:// URL", noUrl.Stderr, StringComparison.Ordinal);
        var noRuntime = await server.FerryAsync("alert", "create", "--name", "bad", "--webhook", "http://127.0.0.1:9/", "--runtime", "nope");
        Assert.Contains("There is no integration runtime 'nope'", noRuntime.Stderr, StringComparison.Ordinal);
        var badSilence = await server.FerryAsync("alert", "create", "--name", "bad", "--webhook", "http://127.0.0.1:9/", "--silent-for", "0");
        Assert.Contains("silentForSeconds: whole seconds, 1 to 86400", badSilence.Stderr, StringComparison.Ordinal);
        Assert.Empty((await server.FerryJsonAsync("alert", "list"))["value"]!.AsArray());
    }

    public void Dispose()
    {
        _nodes.Dispose();
        _dirs.Dispose();
    }

    /// <summary>An HTTP endpoint that keeps every JSON body POSTed to it, answering the first <c>failFirst</c> with 500.</summary>
    private sealed class WebhookReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly ConcurrentQueue<JsonNode> _received = new();
        private readonly ConcurrentQueue<string> _paths = new();
        private int _attempts;

        public WebhookReceiver(int failFirst = 0)
        {
            var port = FerryServer.FreePort();
            Url = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext context;
                    try { context = await _listener.GetContextAsync(); }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                    using var reader = new StreamReader(context.Request.InputStream);
                    var body = await reader.ReadToEndAsync();
                    _paths.Enqueue(context.Request.Url!.AbsolutePath);
                    if (Interlocked.Increment(ref _attempts) <= failFirst)
                        context.Response.StatusCode = 500;
                    else
                        _received.Enqueue(JsonNode.Parse(body)!);
                    context.Response.Close();
                }
            });
        }

        public string Url { get; }
        public int Attempts => _attempts;
        public List<JsonNode> Received => _received.ToList();
        public List<string> Paths => _paths.ToList();

        public async Task<List<JsonNode>> WaitForAsync(Func<JsonNode, bool> match, TimeSpan deadline)
        {
            await Commands.EventuallyAsync(() => Task.FromResult((_received.Any(match), string.Join("\n", _received.Select(r => r.ToJsonString())))),
                deadline, "the alert at the webhook");
            return Received;
        }

        public void Dispose() => _listener.Close();
    }
}
