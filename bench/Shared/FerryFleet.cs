// A real ferry-server and ferry-node started from a folder of built binaries, for the benchmarks that need the whole
// system: processes, the admin API with its token, a self-hosted runtime with its registered nodes.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Ferry.Bench;

internal sealed class FerryFleet : IAsyncDisposable
{
    private readonly string _bin;
    private readonly HttpClient _http;
    private readonly List<Process> _processes = [];

    private FerryFleet(string bin, string work, string url)
    {
        _bin = bin;
        Work = work;
        _http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(30) };
    }

    public string Work { get; }
    /// <summary>The first node started.</summary>
    public Process? Node => Nodes.FirstOrDefault();

    /// <summary>Every node started, in order.</summary>
    public List<Process> Nodes { get; } = [];

    /// <summary>Starts a server (SQLite) in a fresh folder and waits for its admin token.</summary>
    public static async Task<FerryFleet> StartServerAsync(string bin, string prefix)
    {
        var work = Directory.CreateTempSubdirectory(prefix).FullName;
        var fleet = new FerryFleet(bin, work, $"http://127.0.0.1:{FreePort()}");
        fleet.Start("ferry-server.dll", "--data-dir", Path.Combine(work, "server"), "--urls", fleet._http.BaseAddress!.ToString().TrimEnd('/'));
        var token = Path.Combine(work, "server", "admin-token");
        for (var i = 0; i < 100 && !File.Exists(token); i++)
            await Task.Delay(200);
        await Task.Delay(500);
        fleet._http.DefaultRequestHeaders.Authorization = new("Bearer", (await File.ReadAllTextAsync(token)).Trim());
        return fleet;
    }

    /// <summary>Creates runtime <paramref name="runtime"/>, registers one node with it (after <paramref name="dmgcmd"/> settings), starts it and waits until it is Online.</summary>
    public Task StartNodeAsync(string runtime, params string[][] dmgcmd) => StartNodeAsync(runtime, "bench-node", dmgcmd);

    /// <summary>
    /// Registers node <paramref name="name"/> with runtime <paramref name="runtime"/> (created with the first node), in a
    /// folder of its own, after <paramref name="dmgcmd"/> settings; starts it and waits until the runtime reports it Online.
    /// </summary>
    public async Task StartNodeAsync(string runtime, string name, params string[][] dmgcmd)
    {
        if (Nodes.Count == 0)
            await SendAsync(HttpMethod.Put, $"/factories/default/integrationRuntimes/{runtime}", """{"properties": {"type": "SelfHosted"}}""");
        var key = (await SendAsync(HttpMethod.Post, $"/factories/default/integrationRuntimes/{runtime}/listAuthKeys"))!["authKey1"]!.GetValue<string>();
        var nodeDir = Path.Combine(Work, Nodes.Count == 0 ? "node" : $"node-{name}");
        foreach (var command in dmgcmd.Prepend(["-rn", key, name]))
        {
            var run = Start("dmgcmd.dll", [.. command, "--data-dir", nodeDir]);
            await run.WaitForExitAsync();
        }
        var node = Start("ferry-node.dll", "--data-dir", nodeDir);
        Nodes.Add(node);
        for (var i = 0; i < 100; i++)
        {
            var status = await SendAsync(HttpMethod.Post, $"/factories/default/integrationRuntimes/{runtime}/getStatus");
            var nodes = status!["properties"]!["typeProperties"]?["nodes"]?.AsArray() ?? [];
            if (nodes.Any(n => n!["nodeName"]?.GetValue<string>() == name && n["status"]?.GetValue<string>() == "Online"))
                return;
            await Task.Delay(200);
        }
        throw new InvalidOperationException($"node {name} did not come online");
    }

    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    /// <summary>Runs a pipeline and waits for it to end; answers the finished run.</summary>
    public async Task<JsonNode> RunAsync(string pipeline, TimeSpan poll)
    {
        var runId = (await SendAsync(HttpMethod.Post, $"/factories/default/pipelines/{pipeline}/createRun"))!["runId"]!.GetValue<string>();
        JsonNode run;
        do
        {
            await Task.Delay(poll);
            run = (await SendAsync(HttpMethod.Get, $"/factories/default/pipelineruns/{runId}"))!;
        } while (run["status"]!.GetValue<string>() is "Queued" or "InProgress");
        return run;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Process Start(string dll, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(_bin, dll));
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
                process.Kill(true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
        _http.Dispose();
        Directory.Delete(Work, recursive: true);
    }
}
