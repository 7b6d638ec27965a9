using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts;
using Ferry.Contracts.Protocol;

// Simulates N nodes heartbeating against one real ferry-server process and reports heartbeats served per
// second, latency percentiles and the server's CPU and memory over the measured window.
// Usage: Ferry.Bench.Heartbeats --server-dll PATH [--nodes 1000] [--seconds 60] [--interval 10] [--database CONNSTRING]
var options = Args.Parse(args);
var dataDir = Directory.CreateTempSubdirectory("ferry-bench-").FullName;
var port = FreePort();
var url = $"http://127.0.0.1:{port}";
var serverArgs = new List<string> { options.ServerDll, "--data-dir", dataDir, "--urls", url, "--max-nodes-per-runtime", options.Nodes.ToString(CultureInfo.InvariantCulture),
    "--heartbeat-interval", options.IntervalSeconds.ToString(CultureInfo.InvariantCulture) };
if (options.Database is not null) serverArgs.AddRange(["--database", options.Database]);
var server = Process.Start(new ProcessStartInfo("dotnet", serverArgs) { RedirectStandardOutput = true, RedirectStandardError = true })!;
server.OutputDataReceived += (_, _) => { };
server.ErrorDataReceived += (_, _) => { };
server.BeginOutputReadLine();
server.BeginErrorReadLine();

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(url) };
try
{
    await WaitForHealthAsync(http);
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(dataDir, "admin-token")).Trim());
    (await http.PutAsync("/factories/default/integrationRuntimes/bench-ir", Json("{\"properties\":{\"type\":\"SelfHosted\"}}"))).EnsureSuccessStatusCode();
    var keys = JsonNode.Parse(await (await http.PostAsync("/factories/default/integrationRuntimes/bench-ir/listAuthKeys", null)).Content.ReadAsStringAsync())!;
    var authKey = keys["authKey1"]!.GetValue<string>();
    http.DefaultRequestHeaders.Authorization = null;

    Console.Error.WriteLine($"registering {options.Nodes} nodes ...");
    var nodes = new List<(Guid Id, ECDsa Key)>();
    for (var i = 0; i < options.Nodes; i++)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new RegisterNodeRequest(authKey, $"sim-{i:D4}", $"sim-{i:D4}", Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), "0.1.0", 4, 16384, "Linux");
        var response = await http.PostAsync(NodeProtocol.RegisterPath, new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(request, FerryJsonContext.Default.RegisterNodeRequest)));
        response.EnsureSuccessStatusCode();
        var registered = JsonSerializer.Deserialize(await response.Content.ReadAsByteArrayAsync(), FerryJsonContext.Default.RegisterNodeResponse)!;
        nodes.Add((registered.NodeId, key));
    }

    // One warm-up round so that every node is Online (and the server's code is compiled) before the window opens:
    // the window measures the steady state, not the first transition of every node.
    Console.Error.WriteLine("warm-up round ...");
    foreach (var node in nodes)
        (await SendHeartbeatAsync(http, node.Id, node.Key, CancellationToken.None)).EnsureSuccessStatusCode();
    Console.Error.WriteLine($"heartbeating for {options.Seconds} s ...");
    var latencies = new List<double>[nodes.Count];
    var failures = 0;
    using var stop = new CancellationTokenSource();
    var cpuBefore = CpuSeconds(server.Id);
    var window = Stopwatch.StartNew();
    stop.CancelAfter(TimeSpan.FromSeconds(options.Seconds));
    var loops = nodes.Select((node, i) => Task.Run(async () =>
    {
        latencies[i] = [];
        var interval = TimeSpan.FromSeconds(options.IntervalSeconds);
        // Spread the nodes over the interval, as real nodes started at different times are.
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * interval.TotalMilliseconds), stop.Token);
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await SendHeartbeatAsync(http, node.Id, node.Key, CancellationToken.None);
                if (response.IsSuccessStatusCode) latencies[i].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                else Interlocked.Increment(ref failures);
                await Task.Delay(interval - Stopwatch.GetElapsedTime(started) is { Ticks: > 0 } rest ? rest : TimeSpan.Zero, stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // The window closed.
        }
    })).ToList();
    await Task.WhenAll(loops);
    var elapsed = window.Elapsed.TotalSeconds;
    var cpu = (CpuSeconds(server.Id) - cpuBefore) / elapsed;
    var (rssMb, peakMb) = Memory(server.Id);
    var all = latencies.SelectMany(l => l).Order().ToList();
    double Pct(double p) => all.Count == 0 ? double.NaN : all[Math.Min(all.Count - 1, (int)(p * all.Count))];
    var store = options.Database is null ? "SQLite" : "PostgreSQL";
    Console.WriteLine($"| {store} | {options.Nodes} | {options.IntervalSeconds} s | {elapsed:F0} s | {all.Count / elapsed:F1} | {failures} | " +
                      $"{Pct(0.5):F2} ms | {Pct(0.99):F2} ms | {cpu * 100:F1} % of one core | {rssMb} MB (peak {peakMb} MB) |");
    return failures == 0 ? 0 : 1;
}
finally
{
    server.Kill(entireProcessTree: true);
    server.WaitForExit();
    try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
}

static async Task<HttpResponseMessage> SendHeartbeatAsync(HttpClient http, Guid nodeId, ECDsa key, CancellationToken ct)
{
    var body = JsonSerializer.SerializeToUtf8Bytes(new HeartbeatRequest("0.1.0", NodeProtocol.Version, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
        12.5, 8000, 16384, 4, 0, 8, 0, 0, null), FerryJsonContext.Default.HeartbeatRequest);
    var signature = NodeRequestSignature.Sign(key, nodeId, "POST", NodeProtocol.HeartbeatPath, DateTimeOffset.UtcNow, body);
    using var message = new HttpRequestMessage(HttpMethod.Post, NodeProtocol.HeartbeatPath) { Content = new ByteArrayContent(body) };
    message.Headers.TryAddWithoutValidation("Authorization", signature.ToHeaderValue());
    return await http.SendAsync(message, ct);
}

static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

static async Task WaitForHealthAsync(HttpClient http)
{
    for (var i = 0; i < 150; i++)
    {
        try
        {
            if ((await http.GetAsync("/health")).IsSuccessStatusCode) return;
        }
        catch (HttpRequestException) { }
        await Task.Delay(200);
    }
    throw new InvalidOperationException("ferry-server did not start");
}

static double CpuSeconds(int pid)
{
    // /proc/PID/stat fields 14 and 15: user and system time in clock ticks (100 per second on Linux).
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
}

static (long RssMb, long PeakMb) Memory(int pid)
{
    long Field(string name) => long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(name, StringComparison.Ordinal))
        .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    return (Field("VmRSS:"), Field("VmHWM:"));
}

static int FreePort()
{
    using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    l.Start();
    return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
}

internal sealed record Args(string ServerDll, int Nodes, int Seconds, int IntervalSeconds, string? Database)
{
    public static Args Parse(string[] args)
    {
        string? dll = null, database = null;
        int nodes = 1000, seconds = 60, interval = 10;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--server-dll": dll = args[++i]; break;
                case "--nodes": nodes = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--interval": interval = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--database": database = args[++i]; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return new Args(dll ?? throw new ArgumentException("--server-dll is required"), nodes, seconds, interval, database);
    }
}
