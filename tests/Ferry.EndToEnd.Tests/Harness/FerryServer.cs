using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Ferry.EndToEnd.Tests.Harness;

/// <summary>A real ferry-server process on a free loopback port, with the ferry CLI pointed at it.</summary>
public sealed class FerryServer : IDisposable
{
    public const int HeartbeatSeconds = 2;
    public const int MissedHeartbeats = 3;
    public static readonly TimeSpan OfflineAfter = TimeSpan.FromSeconds(HeartbeatSeconds * MissedHeartbeats);

    private readonly string[] _extraArgs;
    private RunningProcess? _process;

    private FerryServer(string dataDir, int port, string[] extraArgs)
    {
        DataDir = dataDir;
        Port = port;
        _extraArgs = extraArgs;
    }

    public string DataDir { get; }
    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public string Token => File.ReadAllText(Path.Combine(DataDir, "admin-token")).Trim();
    public string Output => _process?.Output ?? "";

    public static Task<FerryServer> StartAsync(string dataDir, params string[] extraArgs) => StartAsync(dataDir, FreePort(), extraArgs);

    public static async Task<FerryServer> StartAsync(string dataDir, int port, params string[] extraArgs)
    {
        var server = new FerryServer(dataDir, port, extraArgs);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts (or restarts) the process on the same port and data dir.</summary>
    public async Task StartAgainAsync()
    {
        _process = RunningProcess.Start(Binaries.ServerDll,
        [
            "--data-dir", DataDir, "--urls", Url, "--heartbeat-interval", HeartbeatSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--missed-heartbeats", MissedHeartbeats.ToString(System.Globalization.CultureInfo.InvariantCulture), .. _extraArgs,
        ]);
        using var http = new HttpClient();
        await Commands.EventuallyAsync(async () =>
        {
            if (_process.HasExited) throw new InvalidOperationException("ferry-server exited:\n" + _process.Output);
            try { return ((await http.GetAsync(Url + "/health")).StatusCode == HttpStatusCode.OK, ""); }
            catch (HttpRequestException e) { return (false, e.Message); }
        }, TimeSpan.FromSeconds(30), "ferry-server answers /health");
    }

    public void Kill() => _process?.KillHard();

    public Task<CommandResult> FerryAsync(params string[] args) =>
        Commands.RunAsync(Binaries.FerryDll, args, new Dictionary<string, string> { ["FERRY_SERVER"] = Url, ["FERRY_TOKEN"] = Token, ["FERRY_CONFIG"] = "/nonexistent" });

    public async Task<JsonNode> FerryJsonAsync(params string[] args)
    {
        var result = await FerryAsync(args);
        Assert.True(result.ExitCode == 0, $"ferry {string.Join(' ', args)} failed: {result}");
        return JsonNode.Parse(result.Stdout)!;
    }

    /// <summary>Creates a resource from its JSON document with `ferry KIND create --name NAME --file F`, as a user would.</summary>
    public async Task CreateAsync(string kind, string name, string json)
    {
        var file = Path.Combine(Path.GetTempPath(), $"ferry-{kind}-{name}-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, json);
        try
        {
            await FerryJsonAsync(kind, "create", "--name", name, "--file", file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The runtime's state and each node's status, from `ferry ir get-status`.</summary>
    public async Task<(string State, Dictionary<string, string> Nodes)> StatusAsync(string runtime)
    {
        var status = await FerryJsonAsync("ir", "get-status", "--name", runtime);
        var nodes = status["properties"]!["typeProperties"]!["nodes"]!.AsArray()
            .ToDictionary(n => n!["nodeName"]!.GetValue<string>(), n => n!["status"]!.GetValue<string>());
        return (status["properties"]!["state"]!.GetValue<string>(), nodes);
    }

    public static string Describe((string State, Dictionary<string, string> Nodes) s) =>
        $"runtime {s.State}; " + string.Join(", ", s.Nodes.Select(n => $"{n.Key}={n.Value}"));

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => _process?.Dispose();
}
