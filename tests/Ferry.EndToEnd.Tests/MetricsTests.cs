using System.Net;
using Ferry.EndToEnd.Tests.Harness;

namespace Ferry.EndToEnd.Tests;

/// <summary>/metrics on a real server with a real node: the Prometheus text format as promtool (Prometheus's own checker, Debian's package) reads it, and the figures a copy and a waiting job leave.</summary>
public sealed class MetricsTests : IDisposable
{
    private readonly TempDir _dirs = new();
    private readonly NodeFleet _nodes;

    public MetricsTests() => _nodes = new NodeFleet(_dirs);

    [Fact]
    public async Task Metrics_show_nodes_by_status_heartbeats_queue_depth_and_age_activities_rows_and_request_latency()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var folder = Directory.CreateDirectory(_dirs.Sub("files")).FullName;
        await File.WriteAllLinesAsync(Path.Combine(folder, "in.csv"), ["id,label", "1,one", "2,two", "3,three"]);
        await _nodes.StartAsync(server, "m-ir", "node-a", beforeStart: async dir => Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-alf", folder)).ExitCode));
        await FileCopyPipeline.CreateAsync(server, "m-ir", folder);

        var runId = (await server.FerryJsonAsync("pipeline", "run", "--name", "copy"))["runId"]!.GetValue<string>();
        await Commands.EventuallyAsync(async () =>
        {
            var status = (await server.FerryJsonAsync("run", "show", "--run-id", runId))["status"]!.GetValue<string>();
            return (status == "Succeeded", status);
        }, TimeSpan.FromSeconds(60), "the copy succeeding");
        // A job that waits: the only node stopped, a run queued.
        _nodes.Stop("node-a");
        await server.FerryJsonAsync("pipeline", "run", "--name", "copy");
        await Commands.EventuallyAsync(async () => ((await server.StatusAsync("m-ir")).Nodes["node-a"] == "Offline", ""), TimeSpan.FromSeconds(30), "node-a Offline");

        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/metrics")).StatusCode);
        http.DefaultRequestHeaders.Authorization = new("Bearer", server.Token);
        var text = "";
        // getStatus reads the heartbeat's age; the metric is the status the monitor records within its next pass.
        await Commands.EventuallyAsync(async () =>
        {
            using var response = await http.GetAsync("/metrics");
            response.EnsureSuccessStatusCode();
            Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
            text = await response.Content.ReadAsStringAsync();
            return (text.Contains("ferry_nodes{factory=\"default\",runtime=\"m-ir\",status=\"Offline\"} 1\n", StringComparison.Ordinal), text);
        }, TimeSpan.FromSeconds(10), "node-a counted Offline");

        Assert.True(Value(text, "ferry_heartbeats_total") >= 1, text);
        Assert.Equal(1, Value(text, "ferry_activities_total{type=\"Copy\",outcome=\"Succeeded\"}"));
        Assert.Equal(3, Value(text, "ferry_copy_rows_total"));
        Assert.True(Value(text, "ferry_copy_bytes_total") > 0, text);
        Assert.Equal(1, Value(text, "ferry_queue_depth{factory=\"default\",runtime=\"m-ir\"}"));
        Assert.True(Value(text, "ferry_queue_oldest_seconds{factory=\"default\",runtime=\"m-ir\"}") > 0, text);
        Assert.True(Value(text, "ferry_http_request_duration_seconds_count{kind=\"node\",method=\"POST\",code=\"200\"}") >= 1, text);
        Assert.Equal(Value(text, "ferry_http_request_duration_seconds_count{kind=\"node\",method=\"POST\",code=\"200\"}"),
            Value(text, "ferry_http_request_duration_seconds_bucket{kind=\"node\",method=\"POST\",code=\"200\",le=\"+Inf\"}"));

        var check = await PromtoolAsync(text);
        Assert.True(check.ExitCode == 0, $"promtool check metrics: {check.Output}\n{text}");
    }

    private static double Value(string text, string series)
    {
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal))
                   ?? throw new Xunit.Sdk.XunitException($"no sample {series} in:\n{text}");
        return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<(int ExitCode, string Output)> PromtoolAsync(string metrics)
    {
        var info = new System.Diagnostics.ProcessStartInfo(File.Exists("/usr/bin/promtool") ? "/usr/bin/promtool"
            : throw new InvalidOperationException("promtool is missing: apt-get install prometheus (./scripts/test installs it)"), ["check", "metrics"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = System.Diagnostics.Process.Start(info)!;
        await process.StandardInput.WriteAsync(metrics);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }

    public void Dispose()
    {
        _nodes.Dispose();
        _dirs.Dispose();
    }
}
